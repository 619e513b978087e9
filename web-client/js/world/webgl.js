/** Whether this browser can draw the hub (WebGL 2), asked without loading three.js. */

export function webglAvailable() {
  try {
    const canvas = document.createElement("canvas");
    return Boolean(canvas.getContext("webgl2"));
  } catch {
    return false;
  }
}
