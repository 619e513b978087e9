/**
 * A poll's results on a room's screen: a bar chart drawn on a canvas texture, on a plane just
 * in front of the first screen (a "screen" anchor of the hub model) of the room one is in. It
 * covers the screen's talk while it is shown and goes again when hidden. Question and options
 * are people's text: drawn with fillText, never as HTML.
 */

import { BAR, INK, ScreenChart, TRACK } from "./screen-chart.js";
import { t } from "./ui/i18n.js";

export class PollScreen extends ScreenChart {
  /** scene: the hub's scene; venue: its anchors (screens and their sizes). */
  constructor(scene, venue) {
    super(scene, venue, { name: "poll-chart", depth: 0.04 }); // in front of the talk's picture
  }

  get poll() {
    return this.data;
  }

  /** What the screen shows (for the test hook): null or {screen, poll, counts}. */
  shown() {
    if (!this.mesh || !this.poll) return null;
    return { screen: this.anchorId, poll: this.poll.id, counts: [...this.poll.counts], open: this.poll.open };
  }

  draw() {
    const { poll } = this;
    const status = poll.open ? "" : ` · ${t("poll.closed")}`;
    const { ctx, W, H, pad, titleSize } = this.page(`${t("poll.screen")}${status}`);
    const lines = wrap(ctx, poll.question, W - 2 * pad, 2);
    lines.forEach((line, i) => ctx.fillText(line, pad, pad + (i + 1) * titleSize * 1.2));
    const top = pad + (lines.length + 1) * titleSize * 1.2 + pad / 2;
    const bottom = H - pad - titleSize;
    const rows = poll.options.length;
    const rowH = Math.min((bottom - top) / rows, H * 0.14);
    const most = Math.max(1, ...poll.counts);
    const total = poll.counts.reduce((a, b) => a + b, 0);
    const labelW = W * 0.3;
    const barX = pad + labelW + pad / 2;
    const barW = W - barX - pad - W * 0.12;
    ctx.font = `${Math.round(rowH * 0.45)}px system-ui, sans-serif`;
    poll.options.forEach((option, i) => {
      const y = top + i * rowH;
      const count = poll.counts[i] ?? 0;
      ctx.fillStyle = INK;
      ctx.textBaseline = "middle";
      ctx.fillText(wrap(ctx, option, labelW, 1)[0] ?? "", pad, y + rowH / 2);
      ctx.fillStyle = TRACK;
      ctx.fillRect(barX, y + rowH * 0.18, barW, rowH * 0.64);
      ctx.fillStyle = BAR;
      ctx.fillRect(barX, y + rowH * 0.18, (barW * count) / most, rowH * 0.64);
      ctx.fillStyle = INK;
      const percent = total ? Math.round((100 * count) / total) : 0;
      ctx.fillText(`${count} (${percent} %)`, barX + barW + pad / 2, y + rowH / 2);
    });
    ctx.textBaseline = "top";
    ctx.font = `${Math.round(titleSize * 0.8)}px system-ui, sans-serif`;
    ctx.fillText(t("poll.screenAnswers", { n: poll.answered }), pad, H - pad - titleSize * 0.8);
  }
}

/** At most maxLines lines of text that fit width (the last one cut with an ellipsis). */
function wrap(ctx, text, width, maxLines) {
  const words = String(text).split(/\s+/);
  const lines = [];
  let line = "";
  for (const word of words) {
    const next = line ? `${line} ${word}` : word;
    if (ctx.measureText(next).width <= width || !line) {
      line = next;
    } else {
      lines.push(line);
      line = word;
    }
  }
  if (line) lines.push(line);
  if (lines.length > maxLines) {
    lines.length = maxLines;
    lines[maxLines - 1] += " …";
  }
  return lines.map((l) => {
    let cut = l;
    while (cut.length > 1 && ctx.measureText(cut).width > width) cut = `${cut.slice(0, -2)}…`;
    return cut;
  });
}
