/**
 * The workshop's board in the visit: the panel (key B) and the board on the wall of the room
 * (the building's board anchor with shows = "notes"). The server sends the board of the room
 * one is in (board_state, nil where none) and every changed note (board_note); this module
 * only shows them and sends what the person does (board_add, board_vote, ...). Notes are plain
 * text: they go into the page with textContent and onto the wall with fillText, never as HTML.
 *
 * The panel is built for the keyboard: every note is a list item with its buttons (a dot,
 * left/right/up, edit, group, remove); after a live update the focus stays on the same button.
 * In a breakout group formed for a team, the team's plan shows below the notes (board-plan.js).
 */

import { BoardPlan, drawPlan } from "./board-plan.js";
import { fetchFile } from "./net/fetch-json.js";
import { announce } from "./ui/announcer.js";
import { language, onLanguageChange, t } from "./ui/i18n.js";
import { el } from "./ui/dom.js";
import { drawColumn } from "./ui/canvas-text.js";
import { saveFile } from "./ui/save-file.js";
import { anchorNodes, boardFace } from "./world/canvas-face.js";

const SHOWS = "notes";
const PIXELS_PER_METRE = 420;
const NOTE_COLOURS = ["#fff27a", "#b8f0c8", "#ffd1a8", "#bfe3ff", "#f7c6e6", "#e0d4ff"];


export class BoardFeature {
  /** parts: {connection, table, hud, scene, venue, roomState, token()} */
  constructor(parts) {
    this.connection = parts.connection;
    this.table = parts.table;
    this.hud = parts.hud;
    this.roomState = parts.roomState;
    this.scene = parts.scene;
    this.venue = parts.venue;
    this.token = parts.token;
    this.board = null;
    this.editing = null;
    /** What was typed or ticked in the panel and not sent yet, by data-key (kept when a
     * note arriving draws the panel anew while someone types). */
    this.typed = new Map();
    this.status = document.getElementById("board-status");
    this.body = document.getElementById("board-body");
    const keep = (event) => {
      const node = event.target;
      if (!node.dataset?.key) return;
      this.typed.set(node.dataset.key, node.type === "checkbox" ? node.checked : node.value);
    };
    this.body.addEventListener("input", keep);
    this.body.addEventListener("change", keep);
    // After the form's own handler has sent it: what it held is no longer a draft.
    this.body.addEventListener("submit", (event) => {
      const form = /** @type {HTMLFormElement} */ (event.target);
      for (const node of /** @type {NodeListOf<HTMLElement>} */ (form.querySelectorAll("[data-key]"))) this.typed.delete(node.dataset.key);
    });
    this.panel = document.getElementById("panel-board");
    this.wall = new NotesWall(parts.scene, parts.venue);
    this.listen();
    /** A team's plan on its breakout group's board (board-plan.js). */
    this.plan = new BoardPlan(this);
    onLanguageChange(() => this.render());
    this.render();
  }

  listen() {
    const c = this.connection;
    c.on("joined", () => {
      // Another room: the server sends its board, if it has one.
      this.board = null;
      this.editing = null;
      this.typed.clear();
      this.render();
    });
    c.on("board_state", (m) => {
      const before = this.board;
      this.board = m.board;
      const same = before && m.board && before.workshop === m.board.workshop && before.group === m.board.group;
      if (same && before.locked !== m.board.locked) this.say(t(m.board.locked ? "board.lockedNow" : "board.openNow"));
      this.render();
    });
    c.on("board_note", (m) => this.noteChanged(m));
    c.on("error", (m) => {
      if (typeof m.about !== "string" || !m.about.startsWith("board_")) return;
      this.say(this.table.errorText(m.code, language()) || m.message);
    });
  }

  noteChanged(m) {
    const board = this.board;
    if (!board || board.workshop !== m.workshop || board.group !== m.group) return;
    const known = board.notes.some((note) => note.id === m.id);
    const notes = board.notes.filter((note) => note.id !== m.id);
    if (m.note) notes.splice(Math.max(0, Math.min(m.index, notes.length)), 0, m.note);
    board.notes = notes;
    board.dots_left = m.dots_left;
    board.in_groups = m.in_groups;
    if (m.note && !known && !m.note.mine) {
      const text = m.note.by ? t("board.added", { name: m.note.by, text: m.note.text }) : t("board.addedHidden", { text: m.note.text });
      if (!this.panel.hidden) announce(text);
    }
    if (this.editing === m.id && !m.note) this.editing = null;
    this.render();
  }

  send(type, fields = {}) {
    this.say("");
    if (!this.connection.send(type, fields)) this.say(t("net.reconnecting"));
  }

  say(text) {
    this.status.textContent = text;
  }

  /** The panel and the wall anew, keeping the keyboard where it was and what was typed. */
  render() {
    this.wall.draw(this.board, this.roomState.room, this.plan?.plan);
    const focusKey = (/** @type {HTMLElement | null} */ (document.activeElement))?.dataset?.key;
    this.body.replaceChildren(...this.renderPanel());
    this.restoreTyped();
    if (focusKey) (/** @type {HTMLElement | null} */ (this.body.querySelector(`[data-key="${CSS.escape(focusKey)}"]`)))?.focus();
  }

  restoreTyped() {
    for (const [key, value] of this.typed) {
      const node = /** @type {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement | null} */ (
        this.body.querySelector(`[data-key="${CSS.escape(key)}"]`)
      );
      const fits = node && (!(node instanceof HTMLSelectElement) || [...node.options].some((o) => o.value === value));
      if (!fits) this.typed.delete(key); // its form is gone (an edit cancelled, a column less)
      else if (node instanceof HTMLInputElement && node.type === "checkbox") node.checked = value;
      else node.value = value;
    }
  }

  renderPanel() {
    const board = this.board;
    if (!board) return [el("p", { class: "hint" }, t("board.none"))];
    const where = board.group < 0 ? t("board.main") : t("board.group", { n: board.group + 1 });
    /** @type {HTMLElement[]} */
    const out = [el("p", { class: "board-title" }, t("board.title", { title: board.title, where }))];
    if (board.locked) out.push(el("p", { class: "board-locked" }, t("board.locked")));
    out.push(el("p", { id: "board-dots" }, t("board.dotsLeft", { left: board.dots_left, dots: board.dots })));
    if (!board.locked || board.you_lead) out.push(this.addForm(board));
    const columns = el("div", { class: "board-columns" });
    board.columns.forEach((name, index) => columns.append(this.column(board, name, index)));
    out.push(columns);
    out.push(...(this.plan?.panel() ?? []));
    if (board.you_lead) out.push(this.leadSection(board));
    return out;
  }

  addForm(board) {
    const form = el("form", { class: "board-add", "aria-labelledby": "board-new-label" });
    const label = el("label", { id: "board-new-label", for: "board-new-text" }, t("board.new"));
    const text = el("textarea", { id: "board-new-text", rows: 2, maxlength: 280, "data-key": "new-text" });
    text.value = this.draft ?? "";
    text.addEventListener("input", () => {
      this.draft = text.value;
    });
    const columnLabel = el("label", { for: "board-new-column" }, t("board.column"));
    const select = el("select", { id: "board-new-column", "data-key": "new-column" });
    board.columns.forEach((name, index) => select.append(el("option", { value: index }, name)));
    select.value = String(Math.min(this.newColumn ?? 0, board.columns.length - 1));
    select.addEventListener("change", () => {
      this.newColumn = Number(select.value);
    });
    const button = el("button", { type: "submit", "data-key": "new-add" }, t("board.add"));
    form.append(label, text, columnLabel, select, button);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!text.value.trim()) return;
      this.send("board_add", { column: Number(select.value), text: text.value });
      this.draft = "";
      text.value = "";
      text.focus();
    });
    return form;
  }

  column(board, name, index) {
    const id = `board-col-${index}`;
    const section = el("section", { class: "board-column", "aria-labelledby": id });
    section.append(el("h3", { id }, name));
    const notes = board.notes.filter((note) => note.column === index);
    if (notes.length === 0) {
      section.append(el("p", { class: "hint" }, t("board.empty")));
      return section;
    }
    const list = el("ul", { class: "board-notes" });
    notes.forEach((note, place) => list.append(this.note(board, note, index, place)));
    section.append(list);
    return section;
  }

  note(board, note, column, place) {
    const item = el("li", { class: "board-note", "data-note": note.id });
    if (note.mine) item.classList.add("mine");
    const open = !board.locked || board.you_lead;
    if (this.editing === note.id && note.mine && open) {
      item.append(this.editForm(note));
      return item;
    }
    item.append(el("p", { class: "board-note-text" }, note.text));
    const meta = [];
    if (note.label) meta.push(t("board.clusterOf", { label: note.label }));
    meta.push(note.mine ? t("board.mine") : note.by ? t("board.by", { name: note.by }) : t("board.byHidden"));
    meta.push(t("board.dots", { n: note.dots }));
    if (note.origin !== board.group && note.origin >= 0) meta.push(t("board.fromGroup", { n: note.origin + 1 }));
    item.append(el("p", { class: "board-note-meta" }, meta.join(" · ")));
    if (!open) return item;
    const buttons = el("div", { class: "board-note-buttons" });
    const button = (key, text, action, extra = {}) => {
      const b = el("button", { type: "button", "data-key": `${note.id}:${key}`, ...extra }, text);
      b.addEventListener("click", action);
      buttons.append(b);
      return b;
    };
    button("dot", note.voted ? t("board.dot.take") : t("board.dot.give"), () => this.send("board_vote", { note: note.id, on: !note.voted }), {
      "aria-pressed": String(note.voted),
      disabled: !note.voted && board.dots_left <= 0,
    });
    if (column > 0) button("left", t("board.left"), () => this.send("board_move", { note: note.id, column: column - 1 }));
    if (column < board.columns.length - 1) button("right", t("board.right"), () => this.send("board_move", { note: note.id, column: column + 1 }));
    if (place > 0) button("up", t("board.up"), () => this.send("board_move", { note: note.id, column, index: place - 1 }));
    if (note.mine) {
      button("edit", t("board.edit"), () => {
        this.editing = note.id;
        this.render();
        (/** @type {HTMLElement | null} */ (this.body.querySelector(`[data-key="${CSS.escape(`${note.id}:text`)}"]`)))?.focus();
      });
    }
    if (note.mine || board.you_lead) button("delete", t("board.delete"), () => this.send("board_delete", { note: note.id }));
    const adopt = this.plan?.adoptButton(note);
    if (adopt) buttons.append(adopt);
    item.append(buttons);
    const cluster = el("form", { class: "board-cluster" });
    const inputId = `board-cluster-${note.id}`;
    const input = el("input", { id: inputId, type: "text", maxlength: 40, value: note.label, "data-key": `${note.id}:cluster` });
    cluster.append(el("label", { for: inputId }, t("board.cluster")), input,
      el("button", { type: "submit", "data-key": `${note.id}:clusterSet` }, t("board.clusterSet")));
    cluster.addEventListener("submit", (event) => {
      event.preventDefault();
      this.send("board_label", { note: note.id, label: input.value });
    });
    item.append(cluster);
    return item;
  }

  editForm(note) {
    const form = el("form", { class: "board-edit" });
    const id = `board-edit-${note.id}`;
    const text = el("textarea", { id, rows: 3, maxlength: 280, "data-key": `${note.id}:text` });
    text.value = note.text;
    const cancel = el("button", { type: "button", "data-key": `${note.id}:cancel` }, t("board.cancel"));
    cancel.addEventListener("click", () => {
      this.editing = null;
      this.render();
      (/** @type {HTMLElement | null} */ (this.body.querySelector(`[data-key="${CSS.escape(`${note.id}:edit`)}"]`)))?.focus();
    });
    form.append(el("label", { for: id }, t("board.edit")), text,
      el("button", { type: "submit", "data-key": `${note.id}:save` }, t("board.save")), cancel);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.editing = null;
      this.send("board_edit", { note: note.id, text: text.value });
    });
    return form;
  }

  leadSection(board) {
    const section = el("section", { class: "board-lead", "aria-labelledby": "board-lead-heading" });
    section.append(el("h3", { id: "board-lead-heading" }, t("board.lead")));
    const form = el("form", { class: "board-setup" });
    const columns = el("input", { id: "board-columns", type: "text", value: board.columns.join(" / "), "data-key": "setup-columns" });
    const dots = el("input", { id: "board-dots-each", type: "number", min: 1, max: 20, value: board.dots, "data-key": "setup-dots" });
    const lock = el("input", { id: "board-lock", type: "checkbox", "data-key": "setup-lock" });
    lock.checked = board.locked;
    const hide = el("input", { id: "board-hide", type: "checkbox", "data-key": "setup-hide" });
    hide.checked = !board.authors_shown;
    const lockLabel = el("label", { class: "check" });
    lockLabel.append(lock, ` ${t("board.lock")}`);
    const hideLabel = el("label", { class: "check" });
    hideLabel.append(hide, ` ${t("board.hideAuthors")}`);
    form.append(
      el("label", { for: "board-columns" }, t("board.columns")), columns,
      el("label", { for: "board-dots-each" }, t("board.dotsEach")), dots,
      lockLabel, hideLabel,
      el("button", { type: "submit", "data-key": "setup-apply" }, t("board.apply")),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.send("board_setup", {
        columns: columns.value.split("/").map((name) => name.trim()).filter(Boolean),
        dots: Number(dots.value),
        locked: lock.checked,
        authors_shown: !hide.checked,
      });
    });
    section.append(form);
    if (board.group < 0 && board.in_groups > 0) {
      const merge = el("button", { type: "button", "data-key": "merge" }, t("board.merge", { n: board.in_groups }));
      merge.addEventListener("click", () => {
        this.send("board_merge");
        this.say(t("board.merged"));
      });
      section.append(merge);
    }
    const downloads = el("div", { class: "button-row" });
    for (const [kind, key] of [["md", "board.exportMd"], ["csv", "board.exportCsv"]]) {
      const b = el("button", { type: "button", "data-key": `export-${kind}` }, t(key));
      b.addEventListener("click", () => this.download(board.workshop, kind));
      downloads.append(b);
    }
    section.append(downloads);
    return section;
  }

  /** For the browser tests: the board as shown and the texts on the wall boards. */
  testState() {
    return { board: this.board, plan: this.plan?.plan ?? null, wall: this.wall.faces.map((face) => [...face.lines]) };
  }

  async download(workshopId, kind) {
    try {
      const path = `/api/workshops/${encodeURIComponent(workshopId)}/board.${kind}`;
      const { name, blob } = await fetchFile(path, this.token(), `pinnwand.${kind}`);
      saveFile(blob, name);
    } catch (error) {
      this.say(t("board.exportFailed", { reason: error.message }));
    }
  }
}

/**
 * The board on the wall: each board anchor that shows "notes" gets a canvas texture; the one
 * in the room one is in shows that room's board (columns, notes, dots), the others a hint.
 */
export class NotesWall {
  constructor(scene, venue) {
    this.faces = [];
    const anchors = venue.anchors.filter((a) => a.kind === "board" && a.shows === SHOWS);
    if (anchors.length === 0) return;
    const objects = anchorNodes(scene);
    for (const anchor of anchors) {
      const object = objects.get(anchor.id);
      if (!object) continue;
      const { canvas, texture } = boardFace(object, anchor.size ?? [2.8, 1.5], { pixelsPerMetre: PIXELS_PER_METRE, name: "notes-board" });
      texture.anisotropy = 4;
      this.faces.push({ anchor, canvas, texture, lines: [] });
    }
  }

  /** Draw the board of the room one is in (or the hint where there is none). */
  draw(board, roomId, plan = null) {
    for (const face of this.faces) {
      const ctx = face.canvas.getContext("2d");
      const { width, height } = face.canvas;
      face.lines = [];
      if (board && face.anchor.room === roomId && plan) {
        // The notes above, the team's plan below (board-plan.js).
        const split = Math.round(height * 0.55);
        this.drawBoard(ctx, width, split, board, face.lines);
        drawPlan(ctx, width, split, height, plan, face.lines);
      } else if (board && face.anchor.room === roomId) this.drawBoard(ctx, width, height, board, face.lines);
      else this.drawIdle(ctx, width, height, face.lines);
      face.texture.needsUpdate = true;
    }
  }

  drawIdle(ctx, width, height, lines) {
    ctx.fillStyle = "#c8a46e";
    ctx.fillRect(0, 0, width, height);
    ctx.fillStyle = "#2b2116";
    ctx.textBaseline = "top";
    ctx.font = `700 ${Math.round(height * 0.12)}px system-ui, sans-serif`;
    ctx.fillText(t("board.wall.idle"), width * 0.05, height * 0.1, width * 0.9);
    ctx.font = `400 ${Math.round(height * 0.06)}px system-ui, sans-serif`;
    ctx.fillText(t("board.wall.idleHint"), width * 0.05, height * 0.3, width * 0.9);
    lines.push(t("board.wall.idle"));
  }

  drawBoard(ctx, width, height, board, lines) {
    ctx.fillStyle = "#c8a46e";
    ctx.fillRect(0, 0, width, height);
    const pad = width * 0.015;
    const where = board.group < 0 ? t("board.main") : t("board.group", { n: board.group + 1 });
    const title = t("board.title", { title: board.title, where });
    ctx.textBaseline = "top";
    ctx.fillStyle = "#2b2116";
    const titleSize = Math.round(height * 0.06);
    ctx.font = `700 ${titleSize}px system-ui, sans-serif`;
    ctx.fillText(title, pad, pad, width - 2 * pad);
    lines.push(title);
    const top = pad * 2 + titleSize;
    const columnWidth = (width - pad) / board.columns.length;
    const headSize = Math.round(height * 0.045);
    const textSize = Math.max(18, Math.round(height * 0.042));
    board.columns.forEach((name, index) => {
      const x = pad + index * columnWidth;
      const inner = columnWidth - pad;
      const notes = board.notes.filter((note) => note.column === index).map((note) => {
        const dots = "●".repeat(Math.min(note.dots, 10)) + (note.dots > 10 ? ` ${note.dots}` : "");
        const meta = [note.label, note.by, dots].filter(Boolean).join("  ");
        return { text: note.text, fill: NOTE_COLOURS[(note.origin + 1) % NOTE_COLOURS.length], meta };
      });
      const shown = drawColumn(ctx, name, notes, {
        x, top, floor: height - pad, inner, pad, shade: "rgba(255,255,255,0.35)", ink: "#2b2116", headSize,
        headOffset: pad * 0.5, cardsY: top + headSize + pad, textSize, maxLines: 3, extra: textSize * 1.5,
        bottom: height - pad * 2, gap: pad * 0.5, more: (n) => t("board.wall.more", { n }),
      });
      lines.push(name, ...notes.slice(0, shown).map((note) => note.text));
    });
  }
}

