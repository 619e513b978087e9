/**
 * Polls in a workshop: the poll panel (key U) and the results on the room's screen. The server
 * sends every poll of the workshop one is in (poll_state, again when it opens, closes or its
 * counts change) and one's own counted answer (poll_answered); this module shows them and
 * sends what the person does: answer (poll_answer), and for the workshop's facilitators open
 * and close a poll (poll_open, poll_close) and download the results as CSV. The server decides
 * everything (who may, one answer per person, nothing after the close).
 *
 * The panel is a form for the keyboard and screen readers: the question is the legend of its
 * options (radio buttons, or checkboxes for a multiple choice), the results are a list of
 * plain sentences with a bar beside each (the bar is decoration). Live counts only redraw the
 * results, never the form one is filling in. People's text is set with textContent.
 */

import { PollScreen } from "./poll-screen.js";
import { fetchFile } from "./net/fetch-json.js";
import { announce } from "./ui/announcer.js";
import { language, onLanguageChange, t } from "./ui/i18n.js";
import { saveFile } from "./ui/save-file.js";
import { el } from "./ui/dom.js";

const MESSAGES = new Set(["poll_open", "poll_answer", "poll_close"]);
const KINDS = ["single", "multiple", "scale"];
// After its close, a poll's result stays on the room's screen this long.
const SCREEN_AFTER_CLOSE_MS = 60000;

export class PollsFeature {
  /** parts: {connection, table, scene, venue, token()} */
  constructor(parts) {
    this.connection = parts.connection;
    this.table = parts.table;
    this.scene = parts.scene;
    this.venue = parts.venue;
    this.token = parts.token;
    this.room = null;
    this.workshop = null; // {id, youLead} of the workshop running where one is
    this.polls = new Map(); // id -> poll (as in poll_state), in the order they came
    this.mine = new Map(); // poll id -> counted choices
    this.shownKey = null;
    this.screen = new PollScreen(parts.scene, parts.venue);
    this.screenUntil = 0;
    this.panel = document.getElementById("panel-poll");
    this.toggle = document.getElementById("toggle-poll");
    this.status = document.getElementById("poll-status");
    this.questionBox = document.getElementById("poll-current");
    this.resultsBox = document.getElementById("poll-results");
    this.earlierBox = document.getElementById("poll-earlier");
    this.leadBox = document.getElementById("poll-lead");
    // (the toolbar's shortcut U clicks it too, hidden or not)
    this.toggle.addEventListener("click", () => {
      if (this.workshop) this.setOpen(this.panel.hidden, true);
    });
    this.panel.querySelector("[data-close-poll]").addEventListener("click", () => this.setOpen(false, true));
    this.panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.stopPropagation();
        this.setOpen(false, true);
      }
    });
    this.buildLeadForm();
    this.listen();
    onLanguageChange(() => this.render(true));
    this.render(true);
  }

  listen() {
    const c = this.connection;
    c.on("joined", (m) => {
      // Another room (or a resumed connection): the server sends what applies here next.
      this.room = m.room;
      this.workshop = null;
      this.polls.clear();
      this.mine.clear();
      this.render(true);
    });
    c.on("workshop_state", (m) => {
      const live = m.workshop;
      const before = this.workshop?.id;
      this.workshop = live ? { id: live.id, youLead: Boolean(live.you_lead) } : null;
      if (this.workshop?.id !== before) {
        this.polls.clear();
        this.mine.clear();
      }
      this.render(true);
    });
    c.on("poll_state", (m) => this.pollState(m));
    c.on("poll_answered", (m) => {
      this.mine.set(m.poll, m.choices);
      const poll = this.polls.get(m.poll);
      if (poll) this.say(t("poll.counted", { answer: this.answerText(poll, m.choices) }));
      this.render(true);
    });
    c.on("error", (m) => {
      if (!MESSAGES.has(m.about)) return;
      this.say(this.table.errorText(m.code, language()) || m.message, true);
    });
  }

  pollState(m) {
    if (this.workshop && m.workshop !== this.workshop.id) return;
    const before = this.polls.get(m.poll.id);
    this.polls.set(m.poll.id, m.poll);
    if (!before && m.poll.open) {
      announce(t("poll.new", { question: m.poll.question }));
      this.setOpen(true, false); // shown, the keyboard stays where it is
    } else if (before?.open && !m.poll.open) {
      announce(t("poll.ended", { question: m.poll.question }));
      this.screenUntil = Date.now() + SCREEN_AFTER_CLOSE_MS;
      setTimeout(() => this.renderScreen(), SCREEN_AFTER_CLOSE_MS + 50);
    }
    this.render(false);
  }

  send(type, fields) {
    if (!this.connection.send(type, fields)) this.say(t("net.reconnecting"), true);
  }

  setOpen(open, giveFocus) {
    this.panel.hidden = !open;
    this.toggle.setAttribute("aria-expanded", String(open));
    if (!giveFocus) return;
    if (open) {
      const first = this.panel.querySelector("fieldset input, #poll-question, button:not([data-close-poll])");
      (/** @type {HTMLElement} */ (first ?? this.panel.querySelector("[data-close-poll]"))).focus();
    } else {
      this.toggle.focus();
    }
  }

  say(text, isError = false) {
    this.status.textContent = text;
    this.status.classList.toggle("error", isError);
  }

  /** The open poll, or else the latest one. */
  current() {
    const all = [...this.polls.values()];
    return all.find((p) => p.open) ?? all.at(-1) ?? null;
  }

  answerText(poll, choices) {
    return choices.map((c) => poll.options[c]).join(", ");
  }

  // --- drawing ------------------------------------------------------------------------

  /** whole: the question and form too (a new poll, a new room, a new answer, the language). */
  render(whole) {
    const live = this.workshop !== null;
    this.toggle.hidden = !live;
    if (!live && !this.panel.hidden) this.setOpen(false, false);
    this.leadBox.hidden = !this.workshop?.youLead;
    const poll = this.current();
    const key = poll ? `${poll.id}:${poll.open}` : "none";
    if (whole || key !== this.shownKey) {
      this.shownKey = key;
      this.renderQuestion(poll);
    }
    this.renderResults(poll);
    this.renderEarlier(poll);
    this.renderScreen();
  }

  renderQuestion(poll) {
    const box = this.questionBox;
    if (!this.workshop) {
      box.replaceChildren(el("p", { text: t("poll.outside") }));
      return;
    }
    if (!poll) {
      box.replaceChildren(el("p", { text: t("poll.none") }));
      return;
    }
    /** @type {HTMLElement[]} */
    const parts = [
      el("h3", { text: poll.question, id: "poll-title" }),
      el("p", {
        class: "hint",
        text: `${poll.open ? t("poll.open") : t("poll.closed")} · ${t(`poll.kind.${poll.kind}`)} · ${t(
          poll.anonymous ? "poll.anonymous" : "poll.named",
        )}`,
      }),
    ];
    const mine = this.mine.get(poll.id) ?? [];
    if (poll.open) {
      const form = el("form", { id: "poll-answer-form", novalidate: "" });
      const multiple = poll.kind === "multiple";
      const fieldset = el("fieldset", {}, [el("legend", { text: poll.question })]);
      poll.options.forEach((option, i) => {
        const input = el("input", {
          type: multiple ? "checkbox" : "radio", name: "poll-choice", value: String(i), id: `poll-choice-${i}`,
        });
        input.checked = mine.includes(i);
        const label = el("label", { class: "check", for: input.id }, [input, ` ${option}`]);
        fieldset.append(label);
      });
      const submit = el("button", {
        class: "primary",
        text: mine.length ? t("poll.change") : t("poll.answer"),
        type: "submit", id: "poll-submit",
      });
      form.append(fieldset, el("div", { class: "button-row" }, [submit]));
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const choices = [.../** @type {NodeListOf<HTMLInputElement>} */ (form.querySelectorAll("input:checked"))].map((n) => Number(n.value));
        if (!choices.length) {
          this.say(t("poll.pickOne"), true);
          return;
        }
        this.send("poll_answer", { poll: poll.id, choices });
      });
      parts.push(form);
    }
    if (mine.length) parts.push(el("p", { class: "hint", text: t("poll.counted", { answer: this.answerText(poll, mine) }) }));
    if (poll.open && this.workshop.youLead) {
      const close = el("button", { text: t("poll.close"), type: "button", id: "poll-close" });
      close.addEventListener("click", () => this.send("poll_close", { poll: poll.id }));
      parts.push(el("div", { class: "button-row" }, [close]));
    }
    // drawn again (a new answer counted, the language): the keyboard stays where it was
    const focused = box.contains(document.activeElement) ? document.activeElement.id : null;
    box.replaceChildren(...parts);
    if (focused) (/** @type {HTMLElement | null} */ (box.querySelector(`#${CSS.escape(focused)}`) ?? box.querySelector("button, input")))?.focus();
  }

  renderResults(poll) {
    const box = this.resultsBox;
    box.hidden = !poll || !this.workshop;
    if (box.hidden) {
      box.replaceChildren();
      return;
    }
    box.replaceChildren(el("h4", { text: t("poll.results"), id: "poll-results-heading" }), bars(poll),
      el("p", { class: "hint", id: "poll-answered", text: poll.answered ? t("poll.answered", { n: poll.answered }) : t("poll.answeredNone") }));
  }

  renderEarlier(current) {
    const earlier = [...this.polls.values()].filter((p) => p !== current && !p.open).reverse();
    this.earlierBox.hidden = earlier.length === 0 || !this.workshop;
    if (this.earlierBox.hidden) return;
    const list = el("ul", { class: "poll-earlier" });
    for (const poll of earlier) list.append(el("li", {}, [el("p", { text: poll.question }), bars(poll)]));
    this.earlierBox.replaceChildren(el("h4", { text: t("poll.earlier") }), list);
  }

  renderScreen() {
    const poll = this.current();
    const show = this.workshop && poll && (poll.open || Date.now() < this.screenUntil);
    if (show) this.screen.show(poll, this.room);
    else this.screen.hide();
  }

  buildLeadForm() {
    const box = this.leadBox;
    const question = el("input", { id: "poll-question", type: "text", maxlength: "200", autocomplete: "off" });
    const kind = el("select", { id: "poll-kind" });
    const options = el("textarea", { id: "poll-options", rows: "4" });
    const anonymous = el("input", { id: "poll-anonymous", type: "checkbox" });
    const start = el("button", { class: "primary", type: "submit", id: "poll-start" });
    const csv = el("button", { type: "button", id: "poll-csv" });
    const labels = {
      heading: el("h3", { id: "poll-lead-heading" }),
      question: el("label", { for: "poll-question" }),
      kind: el("label", { for: "poll-kind" }),
      options: el("label", { for: "poll-options" }),
      anonymous: el("span"),
    };
    const form = el("form", { id: "poll-form", novalidate: "", "aria-labelledby": "poll-lead-heading" }, [
      labels.question, question, labels.kind, kind, labels.options, options,
      el("label", { class: "check" }, [anonymous, " ", labels.anonymous]),
      el("div", { class: "button-row" }, [start]),
    ]);
    kind.addEventListener("change", () => {
      options.disabled = kind.value === "scale";
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const fields = { question: question.value.trim(), kind: kind.value, anonymous: anonymous.checked };
      if (kind.value !== "scale") {
        fields.options = options.value.split("\n").map((line) => line.trim()).filter(Boolean);
      }
      this.send("poll_open", fields);
    });
    csv.addEventListener("click", () => this.downloadCsv());
    box.replaceChildren(labels.heading, form, el("div", { class: "button-row" }, [csv]));
    const translate = () => {
      labels.heading.textContent = t("poll.lead");
      labels.question.textContent = t("poll.question");
      labels.kind.textContent = t("poll.kind");
      labels.options.textContent = t("poll.options");
      labels.anonymous.textContent = t("poll.anonymousBox");
      start.textContent = t("poll.start");
      csv.textContent = t("poll.csv");
      const chosen = kind.value || "single";
      kind.replaceChildren(...KINDS.map((k) => el("option", { text: t(`poll.kind.${k}`), value: k })));
      kind.value = chosen;
    };
    translate();
    onLanguageChange(translate);
  }

  async downloadCsv() {
    if (!this.workshop) return;
    try {
      const path = `/api/workshops/${encodeURIComponent(this.workshop.id)}/polls.csv`;
      const { name, blob } = await fetchFile(path, this.token(), "umfragen.csv");
      saveFile(blob, name);
    } catch {
      this.say(t("poll.csvFailed"), true);
    }
  }

  /** For the test hook. */
  snapshot() {
    const poll = this.current();
    return {
      workshop: this.workshop,
      open: !this.panel.hidden,
      current: poll ? { id: poll.id, question: poll.question, open: poll.open, counts: [...poll.counts], answered: poll.answered } : null,
      polls: this.polls.size,
      mine: Object.fromEntries(this.mine),
      screen: this.screen.shown(),
    };
  }
}

/** The results as a list: one sentence per option, and a bar beside it (decoration). */
function bars(poll) {
  const total = poll.counts.reduce((a, b) => a + b, 0);
  const most = Math.max(1, ...poll.counts);
  const list = el("ul", { class: "poll-bars" });
  poll.options.forEach((option, i) => {
    const count = poll.counts[i] ?? 0;
    const percent = total ? Math.round((100 * count) / total) : 0;
    const fill = el("span", { class: "poll-fill" });
    fill.style.width = `${(100 * count) / most}%`;
    list.append(
      el("li", {}, [
        el("span", { class: "poll-label", text: t("poll.bar", { option, count, percent }) }),
        el("span", { class: "poll-track", "aria-hidden": "true" }, [fill]),
      ]),
    );
  });
  return list;
}
