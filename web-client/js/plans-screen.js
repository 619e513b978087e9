/**
 * The teams' progress on a room's screen (plans_progress): the teams side by side, each with
 * its measures done and a bar of the CO2e saved so far against the CO2e planned, drawn on a
 * canvas texture on a plane just in front of the first screen (a "screen" anchor of the hub
 * model) of the room one is in, as the poll results are (poll-screen.js). Team names are
 * people's text: drawn with fillText, never as HTML. The plan panel says the same in words.
 */

import { BAR, INK, ScreenChart, TRACK } from "./screen-chart.js";
import { language, t } from "./ui/i18n.js";

export function kg(value) {
  return Number(value ?? 0).toLocaleString(language() === "de" ? "de-DE" : "en-GB", { maximumFractionDigits: 0 });
}

export class ProgressScreen extends ScreenChart {
  /** scene: the hub's scene; venue: its anchors (screens and their sizes). */
  constructor(scene, venue) {
    // in front of the talk's picture and a poll's chart
    super(scene, venue, { name: "plans-progress", depth: 0.05 });
  }

  get teams() {
    return this.data;
  }

  /** What the screen shows (for the test hook): null or {screen, teams: [{name, done, measures}]}. */
  shown() {
    if (!this.mesh || !this.teams) return null;
    return {
      screen: this.anchorId,
      teams: this.teams.map((team) => ({ name: team.name, done: team.done, measures: team.measures, co2Done: team.co2e_kg_done, co2Planned: team.co2e_kg_planned })),
    };
  }

  draw() {
    const { teams } = this;
    const { ctx, W, H, pad, titleSize } = this.page(t("plans.screenTitle"));
    if (!teams.length) {
      ctx.font = `${Math.round(titleSize * 0.8)}px system-ui, sans-serif`;
      ctx.fillText(t("plans.screenNone"), pad, pad + titleSize * 1.6);
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
  }
}

/** The text cut with an ellipsis to fit width. */
function cut(ctx, text, width) {
  let out = String(text);
  if (ctx.measureText(out).width <= width) return out;
  while (out.length > 1 && ctx.measureText(`${out} …`).width > width) out = out.slice(0, -1);
  return `${out} …`;
}
