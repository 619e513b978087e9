/**
 * Saving a file the hub sent (a CSV, a calendar entry, a passport): the browser's download
 * of a Blob under a name, through a link that is clicked once and then let go.
 */

/**
 * @param {Blob} blob
 * @param {string} name
 */
export function saveFile(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
