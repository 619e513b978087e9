/**
 * The learning station panel: a station's content (intro, body, sources), its quiz (marked
 * on the server; explanations after answering; try again as often as you like), its
 * experiment (a calculator form: numbers shown and read the visitor's language's way,
 * checked in the browser by the server's rules before sending, and the server's messages
 * beside each input when it refuses),
 * and the learning passport of every station with a download of what you did. Facilitators
 * also see the progress of the people in their room.
 *
 * Everything is built as DOM nodes with plain text; the one exception is the station body,
 * which the server renders from Markdown to safe HTML (server/features/stations/markdown.py).
 */

import { formatNumber } from "../number-text.js";
import { UNCLEAR, inputProblem, rangeParams } from "./experiment-inputs.js";
import { language, t } from "./i18n.js";
import { el } from "./dom.js";

/** The server's rendered body as nodes (parsed, never executed). */
export function bodyNodes(html) {
  const parsed = new DOMParser().parseFromString(`<div>${html}</div>`, "text/html");
  return [...parsed.body.firstChild.childNodes];
}

export class StationPanel {
  /**
   * actions: {answer(stationId, answers) -> result, experiment(stationId, inputs, lang) -> result,
   * openStation(stationId), download(), roomProgress() -> {people} | null, canSeeRoom()}.
   */
  constructor(actions) {
    this.actions = actions;
    this.panel = document.getElementById("panel-station");
    this.heading = document.getElementById("station-heading");
    this.status = document.getElementById("station-progress");
    this.view = document.getElementById("station-view");
    this.passportView = document.getElementById("passport-view");
    this.passportButton = document.getElementById("station-show-passport");
    this.passportButton.addEventListener("click", () => this.togglePassport());
    this.station = null;
    this.passport = null;
    this.showingPassport = false;
    /** more sections of the passport (consulting notes): functions giving a node each */
    this.passportExtras = [];
    this.touched = false;
    this.quizResult = null;
  }

  get stationId() {
    return this.station?.id ?? null;
  }

  /** Show a station (my progress at it comes from the passport). */
  showStation(station) {
    const same = this.station?.id === station.id;
    this.station = station;
    if (!same) {
      this.touched = false;
      this.quizResult = null;
    }
    this.showingPassport = false;
    this.render();
  }

  setPassport(passport) {
    this.passport = passport;
    if (this.showingPassport) this.renderPassport();
    this.renderStatus();
  }

  togglePassport(show = !this.showingPassport) {
    this.showingPassport = show;
    this.render();
  }

  render() {
    this.passportButton.textContent = t(this.showingPassport && this.station ? "stations.back" : "stations.passport");
    this.passportButton.setAttribute("aria-pressed", String(this.showingPassport));
    this.view.hidden = this.showingPassport || !this.station;
    this.passportView.hidden = !this.view.hidden;
    if (this.showingPassport || !this.station) {
      this.heading.textContent = t("stations.passport");
      this.renderPassport();
    } else {
      this.heading.textContent = this.station.title;
      this.renderStation();
    }
    this.renderStatus();
  }

  /** Where I am: at a station what I did there, in the passport how far I got. */
  renderStatus() {
    const passport = this.passport;
    const stamp = passport?.stamps.find((entry) => entry.station === this.station?.id);
    if (!stamp || this.showingPassport) {
      this.status.textContent = passport
        ? t("stations.summary", { opened: passport.stations.opened, total: passport.stations.total })
        : "";
      return;
    }
    const parts = [t(stamp.opened ? "stations.visited" : "stations.mark.notYet")];
    if (stamp.quiz_passed !== null) parts.push(t(stamp.quiz_passed ? "stations.quizPassed" : "stations.quizOpen"));
    if (stamp.experiment_done !== null) {
      parts.push(t(stamp.experiment_done ? "stations.experimentDone" : "stations.experimentOpen"));
    }
    this.status.textContent = parts.join(" · ");
  }

  // --- one station ----------------------------------------------------------------------

  renderStation() {
    const s = this.station;
    /** @type {HTMLElement[]} */
    const nodes = [
      el("p", { class: "station-topic", text: s.topic.title }),
      el("p", { class: "station-intro", text: s.intro }),
      el("div", { class: "station-body" }, bodyNodes(s.body_html)),
    ];
    if (s.quiz) nodes.push(this.quizSection(s));
    if (s.experiment) nodes.push(this.experimentSection(s));
    if (s.sources.length) {
      nodes.push(
        el("section", { class: "station-sources" }, [
          el("h3", { text: t("stations.sources") }),
          el(
            "ul",
            {},
            s.sources.map((source) =>
              el("li", { text: `${source.publisher} (${source.year}): ${source.title}` }),
            ),
          ),
        ]),
      );
    }
    this.view.replaceChildren(...nodes);
  }

  quizSection(station) {
    const quiz = station.quiz;
    const form = el("form", { class: "quiz", novalidate: true });
    const result = this.quizResult;
    const byId = new Map((result?.questions ?? []).map((q) => [q.id, q]));
    quiz.questions.forEach((question, index) => {
      const marked = byId.get(question.id);
      const multiple = question.kind === "multiple";
      const fieldset = el("fieldset", { class: "quiz-question" }, [
        el("legend", { text: `${index + 1}. ${question.prompt}` }),
      ]);
      if (multiple) fieldset.append(el("p", { class: "hint", text: t("stations.quiz.multiple") }));
      for (const option of question.options) {
        const input = el("input", {
          type: multiple ? "checkbox" : "radio",
          name: `${station.id}-${question.id}`,
          value: option.id,
        });
        input.dataset.question = question.id;
        if (marked?.chosen.includes(option.id)) input.checked = true;
        input.disabled = Boolean(result);
        input.addEventListener("change", () => {
          this.touched = true;
        });
        fieldset.append(el("label", { class: "check" }, [input, ` ${option.text}`]));
      }
      if (marked) {
        fieldset.classList.add(marked.correct ? "right" : "wrong");
        fieldset.append(
          el("p", { class: "quiz-mark", text: t(marked.correct ? "stations.quiz.right" : "stations.quiz.wrong") }),
          el("p", { class: "quiz-explanation", text: marked.explanation }),
        );
      }
      form.append(fieldset);
    });
    const message = el("p", { class: "error", role: "alert" });
    const outcome = el("p", { class: "quiz-outcome", role: "status" });
    const submit = el("button", { type: "submit", class: "primary", text: t("stations.quiz.check") });
    form.append(outcome, message);
    if (result) {
      outcome.textContent = t(result.passed ? "stations.quiz.passed" : "stations.quiz.failed", {
        score: result.score,
        total: result.total,
        needed: result.pass_mark,
      });
      const again = el("button", { type: "button", text: t("stations.quiz.again") });
      again.addEventListener("click", () => {
        this.quizResult = null;
        this.renderStation();
        /** @type {HTMLElement | null} */ (this.view.querySelector(".quiz input"))?.focus();
      });
      form.append(again);
    } else {
      form.append(submit);
    }
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const answers = {};
      for (const question of quiz.questions) {
        const chosen = [.../** @type {NodeListOf<HTMLInputElement>} */ (form.querySelectorAll(`input[data-question="${question.id}"]:checked`))].map((i) => i.value);
        if (chosen.length === 0) {
          message.textContent = t("stations.quiz.answerAll");
          return;
        }
        answers[question.id] = question.kind === "multiple" ? chosen : chosen[0];
      }
      submit.disabled = true;
      message.textContent = "";
      try {
        this.quizResult = await this.actions.answer(station.id, answers);
        this.renderStation();
        this.view.querySelector(".quiz-outcome")?.scrollIntoView({ block: "nearest" });
      } catch (error) {
        message.textContent = error.message;
        submit.disabled = false;
      }
    });
    return el("section", { class: "station-quiz" }, [el("h3", { text: t("stations.quiz") }), form]);
  }

  experimentSection(station) {
    const experiment = station.experiment;
    const lang = language();
    const form = el("form", { class: "experiment", novalidate: true });
    const groups = new Map();
    for (const input of experiment.inputs) {
      const id = `exp-${station.id}-${input.name}`;
      const field = el("input", {
        id,
        name: input.name,
        type: "text",
        inputmode: "decimal",
        autocomplete: "off",
        value: input.default === null ? "" : formatNumber(input.default, lang, null),
        "aria-describedby": `${id}-hint ${id}-error`,
      });
      field.addEventListener("input", () => {
        this.touched = true;
      });
      const range = t("stations.experiment.range", rangeParams(input, lang));
      const row = el("div", { class: "experiment-input" }, [
        el("label", { for: id, text: input.unit ? `${input.label} (${input.unit})` : input.label }),
        field,
        el("p", { id: `${id}-hint`, class: "hint", text: input.help ? `${input.help} ${range}` : range }),
        el("p", { id: `${id}-error`, class: "error", role: "alert" }),
      ]);
      const key = input.group ?? "";
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(row);
    }
    for (const [key, rows] of groups) {
      if (key && experiment.groups[key]) {
        form.append(el("fieldset", {}, [el("legend", { text: experiment.groups[key] }), ...rows]));
      } else {
        form.append(...rows);
      }
    }
    const message = el("p", { class: "error", role: "alert" });
    const results = el("div", { class: "experiment-results", role: "status" });
    const submit = el("button", { type: "submit", class: "primary", text: t("stations.experiment.run") });
    form.append(submit, message, results);
    const markFields = (messages) => {
      for (const [name, text] of Object.entries(messages)) {
        const field = form.elements[name];
        if (!field) continue;
        field.setAttribute("aria-invalid", "true");
        document.getElementById(`${field.id}-error`).textContent = text;
      }
      (/** @type {HTMLElement | null} */ (form.querySelector("[aria-invalid=true]")))?.focus();
    };
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const inputs = {};
      for (const input of experiment.inputs) inputs[input.name] = /** @type {HTMLInputElement} */ (form.elements.namedItem(input.name)).value;
      for (const hint of form.querySelectorAll(".experiment-input .error")) hint.textContent = "";
      for (const field of form.querySelectorAll("input")) field.removeAttribute("aria-invalid");
      message.textContent = "";
      const problems = experiment.inputs
        .map((input) => [input.name, inputProblem(input, inputs[input.name], lang)])
        .filter(([, found]) => found !== null);
      if (problems.length) {
        results.replaceChildren();
        const unclear = problems.every(([, found]) => UNCLEAR.has(found.code));
        message.textContent = t(unclear ? "stations.experiment.unclear" : "stations.experiment.invalid");
        markFields(Object.fromEntries(problems.map(([name, found]) => [name, found.message])));
        return;
      }
      submit.disabled = true;
      try {
        const result = await this.actions.experiment(station.id, inputs, lang);
        // the plan panel offers to put this result into a measure (web-client/js/plans.js)
        document.dispatchEvent(
          new CustomEvent("hub:calculation", { detail: { station: station.id, title: experiment.title, inputs, lang } }),
        );
        results.replaceChildren(
          el("h4", { text: t("stations.experiment.result") }),
          el(
            "dl",
            {},
            result.figures.flatMap((figure) => [el("dt", { text: figure.label }), el("dd", { text: figure.text })]),
          ),
          ...result.notes.map((note) => el("p", { class: "hint", text: note })),
        );
      } catch (error) {
        results.replaceChildren();
        message.textContent = error.message;
        markFields(error.fields ?? {});
      } finally {
        submit.disabled = false;
      }
    });
    const factors = experiment.factors.map((factor) => {
      const amount = [formatNumber(factor.value, lang, null), factor.unit].filter(Boolean).join(" ");
      return el("li", { text: `${factor.label}: ${amount} (${factor.source})` });
    });
    /** @type {HTMLElement[]} */
    const parts = [el("h3", { text: experiment.title }), el("p", { text: experiment.intro ?? experiment.summary }), form];
    if (factors.length) {
      parts.push(el("details", { class: "factors" }, [el("summary", { text: t("stations.experiment.factors") }), el("ul", {}, factors)]));
    }
    return el("section", { class: "station-experiment" }, parts);
  }

  // --- the passport ---------------------------------------------------------------------

  renderPassport() {
    const passport = this.passport;
    if (!passport) {
      this.passportView.replaceChildren(el("p", { class: "status", text: t("stations.loading") }));
      return;
    }
    const counts = el("ul", { class: "passport-counts" }, [
      el("li", { text: t("stations.count.opened", { n: passport.stations.opened, total: passport.stations.total }) }),
      el("li", { text: t("stations.count.quizzes", { n: passport.quizzes.passed, total: passport.quizzes.total }) }),
      el("li", {
        text: t("stations.count.experiments", { n: passport.experiments.done, total: passport.experiments.total }),
      }),
    ]);
    const stamps = el(
      "ul",
      { class: "passport-stamps" },
      passport.stamps.map((stamp) => {
        const marks = [];
        if (stamp.quiz_passed !== null) marks.push(t(stamp.quiz_passed ? "stations.mark.quiz" : "stations.mark.quizOpen"));
        if (stamp.experiment_done !== null) {
          marks.push(t(stamp.experiment_done ? "stations.mark.experiment" : "stations.mark.experimentOpen"));
        }
        const button = el("button", { type: "button", text: stamp.title });
        button.addEventListener("click", () => this.actions.openStation(stamp.station));
        const li = el("li", { class: stamp.opened ? "stamp visited" : "stamp" }, [
          el("span", { class: "stamp-mark", "aria-hidden": "true", text: stamp.complete ? "★" : stamp.opened ? "●" : "○" }),
          button,
          el("span", { class: "stamp-state", text: stamp.opened ? marks.join(", ") || t("stations.mark.visited") : t("stations.mark.notYet") }),
        ]);
        li.dataset.station = stamp.station;
        return li;
      }),
    );
    const download = el("button", { type: "button", text: t("stations.download") });
    const downloadStatus = el("p", { class: "status", role: "status" });
    download.addEventListener("click", async () => {
      try {
        await this.actions.download();
        downloadStatus.textContent = t("stations.downloaded");
      } catch (error) {
        downloadStatus.textContent = error.message;
      }
    });
    /** @type {HTMLElement[]} */
    const nodes = [counts, stamps, el("div", { class: "button-row" }, [download]), downloadStatus];
    for (const extra of this.passportExtras) nodes.push(extra());
    if (this.actions.canSeeRoom()) nodes.push(this.roomSection());
    this.passportView.replaceChildren(...nodes);
  }

  roomSection() {
    const list = el("ul", { class: "room-progress" });
    const status = el("p", { class: "status", role: "status" });
    const refresh = el("button", { type: "button", text: t("stations.room.refresh") });
    const load = async () => {
      status.textContent = t("stations.loading");
      try {
        const result = await this.actions.roomProgress();
        status.textContent = result.people.length ? "" : t("stations.room.nobody");
        list.replaceChildren(
          ...result.people.map((person) =>
            el("li", {
              text: t("stations.room.person", {
                name: person.display_name,
                opened: person.stations.opened,
                passed: person.quizzes.passed,
                done: person.experiments.done,
              }),
            }),
          ),
        );
      } catch (error) {
        status.textContent = error.message;
      }
    };
    refresh.addEventListener("click", load);
    load();
    return el("section", { class: "room-progress-section" }, [
      el("h3", { text: t("stations.room.heading") }),
      list,
      status,
      refresh,
    ]);
  }

  /** Re-render in the current language (content comes again from the server first). */
  relabel() {
    this.render();
  }
}
