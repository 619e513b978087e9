/**
 * The board that shows the workshops (the building's board anchor with shows = "workshops"):
 * the next workshops, drawn on a canvas texture over the board's face. Redrawn when the list or
 * the language changes.
 */

import { language, t } from "./ui/i18n.js";
import { darker, siteColour } from "./ui/theme.js";
import { boardAnchor, boardFace } from "./world/canvas-face.js";

const SHOWS = "workshops";
const PIXELS_PER_METRE = 320;
const SHOWN = 5;

export class WorkshopBoard {
  /** scene: the hub's scene; venue: its anchors (the board's size comes from there). */
  constructor(scene, venue, roomName) {
    this.roomName = roomName;
    const board = boardAnchor(scene, venue, SHOWS);
    this.mesh = null;
    if (!board) return;
    const face = boardFace(board.node, board.anchor.size ?? [3.2, 1.4], { pixelsPerMetre: PIXELS_PER_METRE, name: "workshop-board" });
    this.canvas = face.canvas;
    this.texture = face.texture;
    this.mesh = face.mesh;
    this.workshops = [];
    this.lines = [];
  }

  /** Show these workshops (soonest first). */
  show(workshops) {
    this.workshops = workshops.slice(0, SHOWN);
    this.draw();
  }

  draw() {
    if (!this.mesh) return;
    const ctx = this.canvas.getContext("2d");
    const { width, height } = this.canvas;
    const accent = siteColour("accent");
    ctx.fillStyle = darker(siteColour("primary"), 0.55);
    ctx.fillRect(0, 0, width, height);
    ctx.fillStyle = accent;
    ctx.font = `700 ${Math.round(height * 0.1)}px system-ui, sans-serif`;
    ctx.textBaseline = "top";
    ctx.fillText(t("ws.board.title"), width * 0.04, height * 0.06, width * 0.92);
    const lang = language() === "en" ? "en-GB" : "de-DE";
    const rowHeight = height * 0.14;
    this.lines = [];
    if (this.workshops.length === 0) {
      ctx.fillStyle = "#e9f2ec";
      ctx.font = `400 ${Math.round(height * 0.07)}px system-ui, sans-serif`;
      ctx.fillText(t("ws.board.none"), width * 0.04, height * 0.3, width * 0.92);
      this.lines.push(t("ws.board.none"));
    }
    this.workshops.forEach((workshop, index) => {
      const y = height * 0.24 + index * rowHeight;
      const start = new Date(workshop.starts_at * 1000);
      const when = `${start.toLocaleDateString(lang, { weekday: "short", day: "numeric", month: "short" })} ${start.toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" })}`;
      ctx.fillStyle = accent;
      ctx.font = `600 ${Math.round(height * 0.06)}px system-ui, sans-serif`;
      ctx.fillText(when, width * 0.04, y, width * 0.3);
      ctx.fillStyle = "#ffffff";
      ctx.fillText(workshop.title, width * 0.36, y, width * 0.6);
      ctx.fillStyle = "#c9dccf";
      ctx.font = `400 ${Math.round(height * 0.045)}px system-ui, sans-serif`;
      ctx.fillText(this.roomName(workshop.room), width * 0.36, y + height * 0.065, width * 0.6);
      this.lines.push(`${when} ${workshop.title}`);
    });
    ctx.fillStyle = "#c9dccf";
    ctx.font = `400 ${Math.round(height * 0.045)}px system-ui, sans-serif`;
    ctx.fillText(t("ws.board.hint"), width * 0.04, height * 0.92, width * 0.92);
    this.texture.needsUpdate = true;
  }
}
