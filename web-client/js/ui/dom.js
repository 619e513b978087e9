/**
 * Building the 2D panels' elements: one element with its attributes and text. Text is set
 * with textContent only, never as HTML; an attribute that is false, null or undefined is
 * left out, true is written as present.
 */

export function el(tag, attributes = {}, text = null) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    node.setAttribute(name, value === true ? "" : String(value));
  }
  if (text !== null) node.textContent = text;
  return node;
}
