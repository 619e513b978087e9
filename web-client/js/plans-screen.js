/**
 * The teams' progress on a room's screen (plans_progress): the teams side by side, each with
 * its measures done and a bar of the CO2e saved so far against the CO2e planned, drawn on a
 * canvas texture on a plane just in front of the first screen (a "screen" anchor of the hub
 * model) of the room one is in, as the poll results are (poll-screen.js). Team names are
 * people's text: drawn with fillText, never as HTML. The plan panel says the same in words.
 */

import * as THREE from "three";
import { language, t } from "./ui/i18n.js";

const EXTRAS_KEY = "hubtwin";
const PIXELS_PER_METRE = 400;
const INK = "#10261b";
const BAR = "#2e7d4f";
const TRACK = "#dfe9e2";

export function kg(value) {
  return Number(value ?? 0).toLocaleString(language() === "de" ? "de-DE" : "en-GB", { maximumFractionDigits: 0 });
}

export class ProgressScreen {
  /** scene: the hub's scene; venue: its anchors (screens and their sizes). */
  constructor(scene, venue) {
    this.scene = scene;
    this.screens = (venue?.anchors ?? []).filter((a) => a.kind === "screen");
    this.mesh = null;
    this.anchorId = null;
    this.teams = null;
  }

  /** Show these teams on the first screen of the room (drawn again on every call). */
  show(teams, roomId) {
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
    this.teams = teams;
    this.draw();
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
    this.teams = null;
  }

  /** What the screen shows (for the test hook): null or {screen, teams: [{name, done, measures}]}. */
  shown() {
    if (!this.mesh || !this.teams) return null;
    return {
      screen: this.anchorId,
      teams: this.teams.map((team) => ({ name: team.name, done: team.done, measures: team.measures, co2Done: team.co2e_kg_done, co2Planned: team.co2e_kg_planned })),
    };
  }

  attach(anchor) {
    let object = null;
    this.scene.traverse((node) => {
      const meta = node.userData?.[EXTRAS_KEY];
      if (!object && meta?.type === "anchor" && meta.id === anchor.id) object = node;
    });
    if (!object) return;
    const [w, h] = anchor.size ?? [3.2, 1.8];
    this.canvas = document.createElement("canvas");
    this.canvas.width = Math.round(w * PIXELS_PER_METRE);
    this.canvas.height = Math.round(h * PIXELS_PER_METRE);
    this.texture = new THREE.CanvasTexture(this.canvas);
    this.texture.colorSpace = THREE.SRGBColorSpace;
    const material = new THREE.MeshBasicMaterial({ map: this.texture, toneMapped: false });
    this.mesh = new THREE.Mesh(new THREE.PlaneGeometry(w, h), material);
    this.mesh.name = "plans-progress";
    this.mesh.position.set(0, 0, 0.05); // in front of the talk's picture and a poll's chart
    object.add(this.mesh);
    this.anchorId = anchor.id;
  }

  draw() {
    const { canvas, teams } = this;
    const ctx = canvas.getContext("2d");
    const W = canvas.width;
    const H = canvas.height;
    const pad = Math.round(W * 0.04);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, W, H);
    ctx.fillStyle = INK;
    ctx.textBaseline = "top";
    const titleSize = Math.round(H * 0.075);
    ctx.font = `600 ${titleSize}px system-ui, sans-serif`;
    ctx.fillText(t("plans.screenTitle"), pad, pad);
    if (!teams.length) {
      ctx.font = `${Math.round(titleSize * 0.8)}px system-ui, sans-serif`;
      ctx.fillText(t("plans.screenNone"), pad, pad + titleSize * 1.6);
      this.texture.needsUpdate = true;
      return;
    }
    const top = pad + titleSize * 1.6;
    const bottom = H - pad;
    const columnW = (W - pad) / teams.length;
    const most = Math.max(1, ...teams.map((team) => team.co2e_kg_planned ?? 0));
    const small = Math.round(Math.min(titleSize * 0.7, columnW * 0.09));
    teams.forEach((team, i) => {
      const x = pad + i * columnW;
      const barW = columnW * 0.45;
      const barTop = top + small * 4;
      const barBottom = bottom - small * 1.5;
      ctx.fillStyle = INK;
      ctx.textBaseline = "top";
      ctx.font = `600 ${small}px system-ui, sans-serif`;
      ctx.fillText(cut(ctx, team.name, columnW - pad), x, top);
      ctx.font = `${small}px system-ui, sans-serif`;
      ctx.fillText(t("plans.screenDone", { done: team.done, count: team.measures }), x, top + small * 1.3);
      ctx.fillText(t("plans.screenCo2", { done: kg(team.co2e_kg_done), planned: kg(team.co2e_kg_planned) }), x, top + small * 2.6);
      const full = barBottom - barTop;
      const planned = (full * (team.co2e_kg_planned ?? 0)) / most;
      const done = (full * (team.co2e_kg_done ?? 0)) / most;
      ctx.fillStyle = TRACK;
      ctx.fillRect(x, barBottom - planned, barW, planned);
      ctx.fillStyle = BAR;
      ctx.fillRect(x, barBottom - done, barW, done);
    });
    ctx.fillStyle = INK;
    ctx.textBaseline = "bottom";
    ctx.font = `${small}px system-ui, sans-serif`;
    ctx.fillText(t("plans.screenLegend"), pad, H - pad / 3);
    this.texture.needsUpdate = true;
  }
}

/** The text cut with an ellipsis to fit width. */
function cut(ctx, text, width) {
  let out = String(text);
  if (ctx.measureText(out).width <= width) return out;
  while (out.length > 1 && ctx.measureText(`${out} …`).width > width) out = out.slice(0, -1);
  return `${out} …`;
}
