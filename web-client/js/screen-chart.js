/**
 * A chart on a room's screen: a canvas texture on a plane just in front of the first screen
 * (a "screen" anchor of the hub model) of the room one is in. It covers what the screen shows
 * while it is up and goes again when hidden. Subclasses draw the chart (draw(), reading
 * this.data); text that people wrote is drawn with fillText, never as HTML.
 */

import { anchorNodes, canvasFace } from "./world/canvas-face.js";

const PIXELS_PER_METRE = 400;
export const INK = "#10261b";
export const BAR = "#2e7d4f";
export const TRACK = "#dfe9e2";

export class ScreenChart {
  /** scene: the hub's scene; venue: its anchors (screens and their sizes); name: the plane's
   * name; depth: how far in front of the screen it stands (charts shown together stack). */
  constructor(scene, venue, { name, depth }) {
    this.scene = scene;
    this.screens = (venue?.anchors ?? []).filter((a) => a.kind === "screen");
    this.name = name;
    this.depth = depth;
    this.mesh = null;
    this.anchorId = null;
    this.data = null;
  }

  /** Show data on the first screen of the room (drawn again on every call). */
  show(data, roomId) {
    const anchor = this.screens.find((a) => a.room === roomId);
    if (!anchor) {
      this.hide();
      return;
    }
    if (this.anchorId !== anchor.id) {
      this.hide();
      this.attach(anchor);
    }
    if (!this.mesh) return;
    this.data = data;
    this.draw();
    this.texture.needsUpdate = true;
  }

  hide() {
    if (this.mesh) {
      this.mesh.parent?.remove(this.mesh);
      this.mesh.geometry.dispose();
      this.mesh.material.dispose();
      this.texture.dispose();
    }
    this.mesh = null;
    this.anchorId = null;
    this.data = null;
  }

  attach(anchor) {
    const object = anchorNodes(this.scene).get(anchor.id);
    if (!object) return;
    const face = canvasFace(anchor.size ?? [3.2, 1.8], { pixelsPerMetre: PIXELS_PER_METRE, name: this.name });
    this.canvas = face.canvas;
    this.texture = face.texture;
    this.mesh = face.mesh;
    this.mesh.position.set(0, 0, this.depth);
    object.add(this.mesh);
    this.anchorId = anchor.id;
  }

  /** Draw this.data on the canvas (each subclass draws its chart). */
  draw() {}

  /** A white page with its title: {ctx, W, H, pad, titleSize} to draw the rest with. */
  page(title) {
    const ctx = this.canvas.getContext("2d");
    const W = this.canvas.width;
    const H = this.canvas.height;
    const pad = Math.round(W * 0.04);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, W, H);
    ctx.fillStyle = INK;
    ctx.textBaseline = "top";
    const titleSize = Math.round(H * 0.075);
    ctx.font = `600 ${titleSize}px system-ui, sans-serif`;
    ctx.fillText(title, pad, pad);
    return { ctx, W, H, pad, titleSize };
  }
}
