/**
 * The staff's station content editor (server/features/stations/content_http.py): title, introduction
 * and text per language with a preview as visitors will see it, sources, quiz questions with
 * their explanations and the calculator to show. The server checks what is saved with the
 * checks of `hubtwin content check`, writes the site's station file and serves it at once;
 * its refusal (every problem, one per line) is shown as it comes.
 *
 * A dialog of plain labelled inputs; it opens for one station anchor (edit mode's
 * "Inhalt bearbeiten" button) and talks to the server only when loading, previewing, saving.
 */

import { request } from "../net/api.js";
import { el } from "../ui/dom.js";
import { pick, t } from "../ui/i18n.js";
import { bodyNodes } from "../ui/station-panel.js";

const MAX_OPTIONS = 8;

function labelled(id, text, input) {
  input.id = id;
  return [el("label", { for: id }, text), input];
}

function value(input) {
  return input.value.trim();
}

class ContentApi {
  constructor(token) {
    this.token = token;
  }

  call(method, path, body) {
    return request(method, `/api/station-content/${path}`, { body, token: this.token() });
  }
}

export class StationContentEditor {
  /** token(): the current session token. */
  constructor(token) {
    this.api = new ContentApi(token);
    this.anchor = null;
    this.data = null;
    this.saving = false;
    this.savedFile = null;
    this.status = el("p", { id: "sc-status", class: "status", role: "status" });
    this.problems = el("ul", { id: "sc-problems", class: "sc-problems" });
    this.form = el("form", { id: "sc-form", novalidate: true });
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.save();
    });
    this.heading = el("h2", { id: "sc-heading" });
    this.where = el("p", { class: "hint", id: "sc-where" });
    const close = el("button", { type: "button", id: "sc-close", class: "close" }, t("content.close"));
    close.addEventListener("click", () => this.close());
    this.dialog = el("dialog", { id: "station-content", class: "dialog station-content", "aria-labelledby": "sc-heading" });
    this.dialog.append(
      el("div", { class: "panel-head" }, [this.heading, close]),
      this.where,
      this.status,
      this.problems,
      this.form,
    );
    this.dialog.addEventListener("close", () => {
      this.anchor = null;
    });
    document.body.append(this.dialog);
  }

  get open() {
    return this.dialog.open;
  }

  close() {
    if (this.dialog.open) this.dialog.close();
  }

  say(text, { error = false } = {}) {
    this.status.textContent = text;
    this.status.classList.toggle("error", error);
    this.status.setAttribute("role", error ? "alert" : "status");
  }

  /** Open the editor on the station standing at anchor. */
  async show(anchor) {
    this.anchor = anchor;
    this.data = null;
    this.savedFile = null;
    this.heading.textContent = t("content.heading", { anchor });
    this.where.textContent = "";
    this.problems.replaceChildren();
    this.form.replaceChildren();
    this.say(t("content.loading"));
    if (!this.dialog.open) this.dialog.showModal();
    try {
      const data = await this.api.call("GET", encodeURIComponent(anchor));
      if (this.anchor !== anchor) return;
      this.data = data;
      this.render(data);
      this.say(data.exists ? "" : t("content.new"));
    } catch (error) {
      this.say(t("content.loadFailed", { message: error.message }), { error: true });
    }
  }

  // --- the form ------------------------------------------------------------------------------

  render(data) {
    const form = data.form;
    this.sourceSerial = 0;
    this.questionSerial = 0;
    this.languages = data.languages;
    const where = pick(data.room_names) || data.room;
    this.where.textContent = t("content.where", { room: where, file: data.file });
    if (!data.published) this.where.textContent += ` ${t("content.draftOnly")}`;

    this.topic = el("select");
    this.topic.append(el("option", { value: "" }, t("content.topicNone")));
    for (const topic of data.topics) this.topic.append(el("option", { value: topic.id }, pick(topic.title) || topic.id));
    this.topic.value = form.topic ?? "";
    this.order = el("input", { type: "number", min: "0", max: "9999", step: "1", value: form.order ?? "" });
    this.reviewed = el("input", { type: "date", value: form.reviewed ?? "" });
    const settings = el("fieldset", {}, null);
    settings.append(
      el("legend", {}, t("content.settings")),
      ...labelled("sc-topic", t("content.topic"), this.topic),
      ...labelled("sc-order", t("content.order"), this.order),
      ...labelled("sc-reviewed", t("content.reviewed"), this.reviewed),
    );

    this.texts = {};
    const textSets = this.languages.map((lang) => this.languageSet(lang, form));

    this.sourceList = el("div", { id: "sc-sources" });
    for (const source of form.sources ?? []) this.addSource(source);
    const addSource = el("button", { type: "button", id: "sc-add-source" }, t("content.addSource"));
    addSource.addEventListener("click", () => this.addSource({}).querySelector("input").focus());
    const sources = el("fieldset");
    sources.append(el("legend", {}, t("content.sources")), this.sourceList, addSource);

    const quiz = form.quiz ?? {};
    this.passMark = el("input", { type: "number", min: "1", max: "12", step: "1", value: quiz.pass_mark ?? "" });
    this.questionList = el("div", { id: "sc-questions" });
    for (const question of quiz.questions ?? []) this.addQuestion(question);
    const addQuestion = el("button", { type: "button", id: "sc-add-question" }, t("content.addQuestion"));
    addQuestion.addEventListener("click", () => this.addQuestion({}).querySelector("select").focus());
    const quizSet = el("fieldset");
    quizSet.append(
      el("legend", {}, t("content.quiz")),
      ...labelled("sc-pass-mark", t("content.passMark"), this.passMark),
      this.questionList,
      addQuestion,
    );

    const experiment = form.experiment ?? {};
    this.calculator = el("select");
    this.calculator.append(el("option", { value: "" }, t("content.calculatorNone")));
    for (const calculator of data.calculators) {
      this.calculator.append(el("option", { value: calculator.id }, pick(calculator.title) || calculator.id));
    }
    this.calculator.value = experiment.calculator ?? "";
    this.experimentIntro = {};
    const experimentSet = el("fieldset");
    experimentSet.append(el("legend", {}, t("content.experiment")), ...labelled("sc-calculator", t("content.calculator"), this.calculator));
    for (const lang of this.languages) {
      const input = el("input", { type: "text", maxlength: "320", value: experiment.intro?.[lang] ?? "" });
      this.experimentIntro[lang] = input;
      experimentSet.append(...labelled(`sc-experiment-intro-${lang}`, t("content.experimentIntro", { language: t(`content.language.${lang}`) }), input));
    }

    this.saveButton = el("button", { type: "submit", id: "sc-save" }, t("content.save"));
    this.form.replaceChildren(settings, ...textSets, sources, quizSet, experimentSet, el("div", { class: "button-row" }, [this.saveButton]));
  }

  languageSet(lang, form) {
    const language = t(`content.language.${lang}`);
    const title = el("input", { type: "text", maxlength: "90", value: form.title?.[lang] ?? "" });
    const intro = el("textarea", { rows: "2", maxlength: "320" });
    intro.value = form.intro?.[lang] ?? "";
    const body = el("textarea", { rows: "10", class: "sc-body" });
    body.value = form.body?.[lang] ?? "";
    const output = el("div", { id: `sc-preview-out-${lang}`, class: "station-body sc-preview", "aria-live": "polite" });
    const previewButton = el("button", { type: "button", id: `sc-preview-${lang}` }, t("content.preview", { language }));
    previewButton.addEventListener("click", () => this.preview(lang));
    this.texts[lang] = { title, intro, body, output };
    const set = el("fieldset");
    set.append(
      el("legend", {}, t("content.textIn", { language })),
      ...labelled(`sc-title-${lang}`, t("content.title", { language }), title),
      ...labelled(`sc-intro-${lang}`, t("content.intro", { language }), intro),
      ...labelled(`sc-body-${lang}`, t("content.body", { language }), body),
      el("p", { class: "hint" }, t("content.bodyHint")),
      previewButton,
      output,
    );
    return set;
  }

  addSource(source) {
    this.sourceSerial += 1;
    const n = this.sourceSerial;
    const row = el("fieldset", { class: "sc-source" });
    const publisher = el("input", { type: "text", maxlength: "200", class: "sc-publisher", value: source.publisher ?? "" });
    const title = el("input", { type: "text", maxlength: "300", class: "sc-source-title", value: source.title ?? "" });
    const year = el("input", { type: "number", min: "1900", max: "2100", step: "1", class: "sc-year", value: source.year ?? "" });
    const url = el("input", { type: "url", class: "sc-url", value: source.url ?? "" });
    const remove = el("button", { type: "button", id: `sc-source-${n}-remove` }, t("content.removeSource", { n }));
    remove.addEventListener("click", () => row.remove());
    row.append(
      el("legend", {}, t("content.source", { n })),
      ...labelled(`sc-source-${n}-publisher`, t("content.publisher"), publisher),
      ...labelled(`sc-source-${n}-title`, t("content.sourceTitle"), title),
      ...labelled(`sc-source-${n}-year`, t("content.year"), year),
      ...labelled(`sc-source-${n}-url`, t("content.url"), url),
      remove,
    );
    this.sourceList.append(row);
    return row;
  }

  addQuestion(question) {
    this.questionSerial += 1;
    const q = `sc-q${this.questionSerial}`;
    const row = el("fieldset", { class: "sc-question", "data-question": q });
    const kind = el("select", { class: "sc-kind" });
    for (const name of ["single", "multiple"]) kind.append(el("option", { value: name }, t(`content.kind.${name}`)));
    kind.value = question.kind ?? "single";
    row.append(el("legend", {}, t("content.question", { n: this.questionList.children.length + 1 })));
    row.append(...labelled(`${q}-kind`, t("content.kind"), kind));
    for (const lang of this.languages) {
      const prompt = el("input", { type: "text", maxlength: "400", class: `sc-prompt sc-lang-${lang}`, value: question.prompt?.[lang] ?? "" });
      row.append(...labelled(`${q}-prompt-${lang}`, t("content.prompt", { language: t(`content.language.${lang}`) }), prompt));
    }
    const options = el("div", { class: "sc-options" });
    row.append(options);
    const addOption = el("button", { type: "button", id: `${q}-add-option` }, t("content.addOption"));
    addOption.addEventListener("click", () => {
      if (options.children.length < MAX_OPTIONS) this.addOption(options, q, {});
    });
    row.append(addOption);
    const given = question.options ?? [{}, {}];
    for (const option of given) this.addOption(options, q, option);
    for (const lang of this.languages) {
      const explanation = el("textarea", { rows: "2", maxlength: "800", class: `sc-explanation sc-lang-${lang}` });
      explanation.value = question.explanation?.[lang] ?? "";
      row.append(...labelled(`${q}-explanation-${lang}`, t("content.explanation", { language: t(`content.language.${lang}`) }), explanation));
    }
    const remove = el("button", { type: "button", id: `${q}-remove` }, t("content.removeQuestion", { n: this.questionList.children.length + 1 }));
    remove.addEventListener("click", () => row.remove());
    row.append(remove);
    this.questionList.append(row);
    return row;
  }

  addOption(options, q, option) {
    const n = options.children.length + 1;
    const row = el("div", { class: "sc-option" });
    for (const lang of this.languages) {
      const text = el("input", { type: "text", maxlength: "300", class: `sc-option-text sc-lang-${lang}`, value: option[lang] ?? "" });
      row.append(...labelled(`${q}-o${n}-${lang}`, t("content.option", { n, language: t(`content.language.${lang}`) }), text));
    }
    const correct = el("input", { type: "checkbox", class: "sc-correct" });
    correct.checked = option.correct === true;
    const label = el("label", { for: `${q}-o${n}-correct` }, t("content.correct", { n }));
    correct.id = `${q}-o${n}-correct`;
    row.append(correct, label);
    options.append(row);
  }

  /** The form as the server's content: what is typed, left for the server to check. */
  content() {
    const byLanguage = (inputs) => Object.fromEntries(this.languages.map((lang) => [lang, value(inputs[lang])]));
    const whole = (input) => (value(input) === "" ? null : Number(value(input)));
    const texts = (pickInput) => Object.fromEntries(this.languages.map((lang) => [lang, value(pickInput(lang))]));
    const content = {
      topic: this.topic.value,
      order: whole(this.order),
      reviewed: this.reviewed.value,
      title: byLanguage(Object.fromEntries(this.languages.map((lang) => [lang, this.texts[lang].title]))),
      intro: byLanguage(Object.fromEntries(this.languages.map((lang) => [lang, this.texts[lang].intro]))),
      body: Object.fromEntries(this.languages.map((lang) => [lang, this.texts[lang].body.value])),
      sources: [...this.sourceList.querySelectorAll(".sc-source")].map((row) => ({
        publisher: value(row.querySelector(".sc-publisher")),
        title: value(row.querySelector(".sc-source-title")),
        year: whole(row.querySelector(".sc-year")),
        url: value(row.querySelector(".sc-url")) || null,
      })),
    };
    const questions = [...this.questionList.querySelectorAll(".sc-question")].map((row) => ({
      kind: /** @type {HTMLSelectElement} */ (row.querySelector(".sc-kind")).value,
      prompt: texts((lang) => row.querySelector(`.sc-prompt.sc-lang-${lang}`)),
      options: [...row.querySelectorAll(".sc-option")].map((option) => ({
        ...texts((lang) => option.querySelector(`.sc-option-text.sc-lang-${lang}`)),
        correct: /** @type {HTMLInputElement} */ (option.querySelector(".sc-correct")).checked,
      })),
      explanation: texts((lang) => row.querySelector(`.sc-explanation.sc-lang-${lang}`)),
    }));
    if (questions.length) content.quiz = { pass_mark: whole(this.passMark), questions };
    if (this.calculator.value) {
      content.experiment = {
        calculator: this.calculator.value,
        intro: byLanguage(this.experimentIntro),
      };
    }
    return content;
  }

  // --- talking to the server ------------------------------------------------------------------

  async preview(lang) {
    const { body, output } = this.texts[lang];
    if (!body.value.trim()) {
      output.replaceChildren(el("p", { class: "hint" }, t("content.previewEmpty")));
      return;
    }
    try {
      const answer = await this.api.call("POST", `${encodeURIComponent(this.anchor)}/preview`, { markdown: body.value });
      output.replaceChildren(...bodyNodes(answer.html));
      if (answer.problems.length) {
        const problems = answer.problems.map((p) => `${p.line}: ${p.message}`).join("; ");
        output.prepend(el("p", { class: "error", role: "alert" }, t("content.previewProblems", { problems })));
      }
    } catch (error) {
      output.replaceChildren(el("p", { class: "error", role: "alert" }, error.message));
    }
  }

  async save() {
    if (this.saving || !this.data) return;
    this.saving = true;
    this.saveButton.disabled = true;
    this.problems.replaceChildren();
    this.say(t("content.saving"));
    try {
      const answer = await this.api.call("PUT", encodeURIComponent(this.anchor), { content: this.content() });
      this.savedFile = answer.file;
      this.data.exists = true;
      this.say(t(answer.published ? "content.saved" : "content.savedDraft", { file: answer.file }));
    } catch (error) {
      this.say(t("content.refused", { message: error.message }), { error: true });
      this.problems.replaceChildren(...(error.problems ?? []).map((p) => el("li", {}, p.message)));
    } finally {
      this.saving = false;
      this.saveButton.disabled = false;
    }
  }

  /** For the test hook. */
  testState() {
    return {
      open: this.dialog.open,
      anchor: this.anchor,
      loaded: this.data !== null,
      saving: this.saving,
      saved: this.savedFile,
      status: this.status.textContent,
      error: this.status.classList.contains("error"),
      problems: this.problems.children.length,
    };
  }
}
