/**
 * A team's plan on its breakout group's board: the part of the board panel (key B) and of
 * the board on the wall that shows the team's measures by status. The server sends it only
 * to who may see it (the team's members, the workshop's facilitators) as board_plan, again
 * whenever the plan changes, nil when it is no longer shown; this module shows it and sends
 * what the person does: a measure to the status before or after (board_plan_move), a sticky
 * note made a measure (board_plan_adopt, the button sits on the note in board.js). Titles
 * are plain text: textContent in the page, fillText on the wall, never HTML.
 */

import { language, t } from "./ui/i18n.js";
import { el } from "./ui/dom.js";
import { drawColumn } from "./ui/canvas-text.js";


function statusName(status) {
  return language() === "en" ? status.en : status.de;
}

export class BoardPlan {
  /** board: the BoardFeature (its connection, table, send, say and render). */
  constructor(board) {
    this.board = board;
    this.plan = null;
    const c = board.connection;
    c.on("joined", () => {
      this.plan = null;
      board.render();
    });
    c.on("board_plan", (m) => {
      this.plan = m.plan ? { ...m.plan, workshop: m.workshop, group: m.group } : null;
      board.render();
    });
    c.on("error", (m) => {
      if (m.about !== "board_plan_move" && m.about !== "board_plan_adopt") return;
      // The server's sentence names what the plan refused (a measure gone, a full plan).
      board.say(m.message || board.table.errorText(m.code, language()));
    });
  }

  /** The plan's part of the board panel (nothing when none is shown). */
  panel() {
    const plan = this.plan;
    if (!plan) return [];
    const section = el("section", { class: "board-plan", "aria-labelledby": "board-plan-heading" });
    section.append(el("h3", { id: "board-plan-heading" }, t("boardPlan.title", { name: plan.name })));
    section.append(el("p", { class: "hint" }, t("boardPlan.hint")));
    const columns = el("div", { class: "board-columns board-plan-columns" });
    plan.statuses.forEach((status, index) => {
      const id = `board-plan-col-${status.status}`;
      const column = el("section", { class: "board-column board-plan-column", "data-status": status.status, "aria-labelledby": id });
      column.append(el("h4", { id }, statusName(status)));
      const measures = plan.measures.filter((m) => m.status === status.status);
      if (measures.length === 0) column.append(el("p", { class: "hint" }, t("boardPlan.empty")));
      const list = el("ul", { class: "board-notes" });
      for (const measure of measures) list.append(this.measure(plan, measure, index));
      if (measures.length) column.append(list);
      columns.append(column);
    });
    section.append(columns);
    return [section];
  }

  measure(plan, measure, index) {
    const item = el("li", { class: "board-note board-plan-measure", "data-measure": measure.id });
    item.append(el("p", { class: "board-note-text" }, measure.title));
    const meta = [t(`plans.area.${measure.area}`)];
    if (measure.owner) meta.push(measure.owner);
    if (measure.due) meta.push(measure.due);
    if (measure.co2e_kg) meta.push(`${Math.round(measure.co2e_kg).toLocaleString(language())} kg CO2e/a`);
    item.append(el("p", { class: "board-note-meta" }, meta.join(" · ")));
    const buttons = el("div", { class: "board-note-buttons" });
    const move = (key, to) => {
      const b = el("button", { type: "button", "data-key": `plan:${measure.id}:${key}` }, t(`boardPlan.${key}`, { status: statusName(to) }));
      b.addEventListener("click", () => this.board.send("board_plan_move", { measure: measure.id, status: to.status }));
      buttons.append(b);
    };
    if (index > 0) move("back", plan.statuses[index - 1]);
    if (index < plan.statuses.length - 1) move("on", plan.statuses[index + 1]);
    item.append(buttons);
    return item;
  }

  /** The button that makes a sticky note a measure (when a plan is shown). */
  adoptButton(note) {
    if (!this.plan) return null;
    const b = el("button", { type: "button", "data-key": `${note.id}:adopt` }, t("boardPlan.adopt"));
    b.addEventListener("click", () => this.board.send("board_plan_adopt", { note: note.id }));
    return b;
  }
}

/** The plan on the wall: its statuses as columns of measure cards below the notes, from y
 * top down to height. lines: the texts drawn (for the browser tests). */
export function drawPlan(ctx, width, top, height, plan, lines) {
  const pad = width * 0.015;
  ctx.fillStyle = "#dfeedd";
  ctx.fillRect(0, top, width, height - top);
  ctx.textBaseline = "top";
  ctx.fillStyle = "#1f3a24";
  const titleSize = Math.round((height - top) * 0.1);
  ctx.font = `700 ${titleSize}px system-ui, sans-serif`;
  const title = t("boardPlan.title", { name: plan.name });
  ctx.fillText(title, pad, top + pad * 0.5, width - 2 * pad);
  lines.push(title);
  const columnTop = top + pad + titleSize;
  const columnWidth = (width - pad) / plan.statuses.length;
  const headSize = Math.round((height - top) * 0.075);
  const textSize = Math.max(14, Math.round((height - top) * 0.07));
  plan.statuses.forEach((status, index) => {
    const x = pad + index * columnWidth;
    const inner = columnWidth - pad;
    const name = statusName(status);
    const cards = plan.measures.filter((m) => m.status === status.status).map((m) => ({ text: m.title, fill: "#ffffff" }));
    const shown = drawColumn(ctx, name, cards, {
      x, top: columnTop, floor: height - pad, inner, pad, shade: "rgba(255,255,255,0.5)", ink: "#1f3a24", headSize,
      headOffset: pad * 0.3, cardsY: columnTop + headSize + pad * 0.6, textSize, maxLines: 2, extra: pad * 0.6,
      bottom: height - pad * 1.5, gap: pad * 0.4, more: (n) => t("board.wall.more", { n }),
    });
    lines.push(name, ...cards.slice(0, shown).map((card) => card.text));
  });
}

