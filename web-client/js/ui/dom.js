/**
 * Building the 2D panels' elements: one element with its properties, attributes and text or
 * children, a control with its label, and a section labelled by its heading. Text is set with
 * textContent only, never as HTML.
 *
 * props: `text` sets the text, `class` the class name, `dataset` data-* entries; a value that
 * is false, null or undefined is left out; a key the element has as a property (checked,
 * disabled, value, ...) takes a value that is not a string as that property; everything else
 * is an attribute (true written as present).
 */

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, any>} [props]
 * @param {string | number | null | (Node | string)[]} [content] its text, or its children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, props = {}, content = null) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === false || value === null || value === undefined) continue;
    if (key === "text") node.textContent = String(value);
    else if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key in node && typeof value !== "string") Reflect.set(node, key, value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  if (Array.isArray(content)) node.append(...content);
  else if (content !== null && content !== undefined) node.textContent = String(content);
  return node;
}

let fieldCount = 0;

/**
 * A label bound to control: [label, control]; a control without an id gets one (prefix-n).
 * @param {string} text
 * @param {HTMLElement} control
 * @param {string} prefix
 * @returns {[HTMLLabelElement, HTMLElement]}
 */
export function labelled(text, control, prefix) {
  fieldCount += 1;
  control.id ||= `${prefix}-${fieldCount}`;
  return [el("label", { text, for: control.id }), control];
}

/**
 * A form field: a div.field with the label bound to input.
 * @param {string} id
 * @param {string} labelText
 * @param {HTMLElement} input
 */
export function labelledField(id, labelText, input) {
  input.id = id;
  const field = el("div", { class: "field" });
  field.append(el("label", { for: id }, labelText), input);
  return field;
}

/**
 * A section labelled by its heading: section#id holding h3#id-heading with title.
 * @param {string} id
 * @param {string} title
 */
export function headedSection(id, title) {
  const heading = el("h3", { id: `${id}-heading`, text: title });
  return el("section", { id, "aria-labelledby": heading.id }, [heading]);
}
