/**
 * Teams and their green action plans: the plan panel (key G). One sees one's teams and the
 * invitations one has, makes a team for one's company, joins one with a colleague's link
 * (the page's address carries it: ?team=ID&join=SECRET), and in a team sees and changes its
 * plan: measures with area, owner, due date, status and the expected yearly savings, the
 * last result of a station's calculator put into a measure (the station panel announces it
 * with the "hub:calculation" event), a calculated measure recomputed, the plan downloaded as
 * CSV or PDF, and leaving the team. Changes go through the REST API (server/features/board/plans_http.py);
 * the team on view is watched over the WebSocket (plan_watch), so what others change arrives
 * as plan_state. The server decides who may see and change what. In a running workshop its
 * facilitators show the teams' progress on the room's screen (plans_show); what arrives
 * (plans_progress) is drawn there (plans-screen.js) and said as a table in the panel.
 *
 * The panel is made of forms and lists for the keyboard and screen readers; every control
 * has a label, results are said in the status line. People's text is set with textContent.
 */

import { kg, ProgressScreen } from "./plans-screen.js";
import { fetchFile, request } from "./net/fetch-json.js";
import { announce } from "./ui/announcer.js";
import { language, onLanguageChange, t } from "./ui/i18n.js";
import { saveFile } from "./ui/save-file.js";
import { el, labelled } from "./ui/dom.js";

const AREAS = ["reporting", "energy", "mobility", "materials", "water", "waste", "people", "procurement", "other"];
const STATUSES = ["idea", "planned", "in_progress", "done"];

function select(name, values, labelOf, chosen) {
  const node = el("select", { name });
  for (const value of values) {
    const option = el("option", { text: labelOf(value), value });
    option.selected = value === chosen;
    node.append(option);
  }
  return node;
}

function number(value) {
  if (value === null || value === undefined) return "–";
  return value.toLocaleString(language() === "de" ? "de-DE" : "en-GB", { maximumFractionDigits: 1 });
}

export class PlansFeature {
  /** parts: {connection, scene, venue, token(), identity()} */
  constructor(parts) {
    this.connection = parts.connection;
    this.scene = parts.scene;
    this.venue = parts.venue;
    this.token = parts.token;
    this.identity = parts.identity;
    this.panel = document.getElementById("panel-plans");
    this.toggle = document.getElementById("toggle-plans");
    this.status = document.getElementById("plans-status");
    this.body = document.getElementById("plans-body");
    this.teams = [];
    this.invitations = [];
    this.workshops = []; // workshops to come, to share a team with
    this.teamId = null;
    this.calculation = null; // the last result of a station's calculator
    const query = new URLSearchParams(window.location.search);
    this.pendingJoin = query.get("team") && query.get("join") ? { team: query.get("team"), link: query.get("join") } : null;
    this.toggle.addEventListener("click", () => {
      if (!this.panel.hidden) this.load();
    });
    document.addEventListener("hub:calculation", (event) => {
      this.calculation = /** @type {CustomEvent} */ (event).detail;
      if (!this.panel.hidden) this.render();
    });
    this.watched = "";
    new MutationObserver(() => this.watch()).observe(this.panel, { attributes: true, attributeFilter: ["hidden"] });
    this.room = null;
    this.workshop = null; // {id, youLead} of the workshop running where one is
    this.progress = null; // the teams on the room's screen (plans_progress), or null
    this.screen = new ProgressScreen(parts.scene, parts.venue);
    this.connection.on("plan_state", (m) => this.arrived(m));
    this.connection.on("joined", (m) => {
      this.watched = ""; // a new connection watches nothing yet
      this.room = m.room;
      this.workshop = null;
      this.showProgress(null);
      this.watch();
    });
    this.connection.on("workshop_state", (m) => {
      const live = m.workshop;
      const before = this.workshop;
      this.workshop = live ? { id: live.id, youLead: Boolean(live.you_lead) } : null;
      if (!live) {
        if (before || this.progress) this.showProgress(null);
      } else if (before?.id !== live.id || before?.youLead !== this.workshop.youLead) this.showProgress(this.progress);
    });
    this.connection.on("plans_progress", (m) => {
      const before = this.progress;
      this.showProgress(m.teams ?? null);
      if (!before && this.progress) announce(t("plans.screenShown"));
      else if (before && !this.progress) announce(t("plans.screenGone"));
    });
    onLanguageChange(() => this.render());
    this.render();
  }

  /** Watch the team on view (and only while the panel is open). */
  watch() {
    const wanted = this.panel.hidden ? "" : (this.teamId ?? "");
    if (wanted === this.watched) return;
    if (this.connection.send("plan_watch", { team: wanted })) this.watched = wanted;
  }

  arrived(m) {
    if (m.plan) this.keep(m.plan);
    else {
      this.teams = this.teams.filter((team) => team.id !== m.team);
      if (this.teamId === m.team) this.teamId = null;
      this.watched = "";
    }
    // what someone is typing in the panel stays; the new plan shows after it
    const active = document.activeElement;
    if (this.panel.hidden || (this.panel.contains(active) && active.matches("input, select"))) return;
    this.render();
  }

  /** The teams on the room's screen (or none), and in the panel as a table. */
  showProgress(teams) {
    this.progress = teams;
    if (teams) this.screen.show(teams, this.room);
    else this.screen.hide();
    const active = document.activeElement;
    if (this.panel.hidden || (this.panel.contains(active) && active.matches("input, select"))) return;
    this.render();
  }

  /** For a workshop's facilitators: show or hide the teams' progress; everyone sees the table. */
  progressView() {
    const nodes = [];
    if (this.workshop?.youLead) {
      const on = !this.progress;
      const toggle = el("button", { text: t(on ? "plans.screenShow" : "plans.screenHide"), type: "button", id: "plans-screen-toggle" });
      toggle.addEventListener("click", () => {
        if (!this.connection.send("plans_show", { on })) this.say(t("net.reconnecting"), true);
      });
      nodes.push(el("p", {}, [toggle]));
    }
    if (this.progress) {
      const head = el("tr", {}, [
        el("th", { text: t("plans.screenTeam"), scope: "col" }),
        el("th", { text: t("plans.screenMeasures"), scope: "col" }),
        el("th", { text: t("plans.screenSaved"), scope: "col" }),
      ]);
      const rows = this.progress.map((team) =>
        el("tr", {}, [
          el("th", { text: team.firm ? `${team.name} (${team.firm})` : team.name, scope: "row" }),
          el("td", { text: `${team.done} / ${team.measures}` }),
          el("td", { text: `${kg(team.co2e_kg_done)} / ${kg(team.co2e_kg_planned)}` }),
        ]),
      );
      const table = el("table", { class: "plans-progress", id: "plans-progress" }, [
        el("caption", { text: t("plans.screenShown") }),
        el("thead", {}, [head]),
        el("tbody", {}, rows),
      ]);
      nodes.push(this.progress.length ? table : el("p", { text: t("plans.screenNone") }));
    }
    return nodes.length ? [el("section", { class: "plans-screen" }, nodes)] : [];
  }

  say(text, isError = false) {
    this.status.textContent = text;
    this.status.classList.toggle("error", isError);
    if (text) announce(text);
  }

  async api(method, path, body) {
    return (await request(method, path, { body: body || undefined, token: this.token() })) ?? {};
  }

  /** Do something with the server, say what failed, and draw the panel again. */
  async act(work, focus) {
    try {
      const said = await work();
      this.say(said ?? "");
    } catch (error) {
      this.say(t("plans.failed", { message: error.message }), true);
    }
    this.render();
    if (focus) this.panel.querySelector(focus)?.focus();
  }

  async load() {
    this.say(t("plans.loading"));
    await this.act(async () => {
      const found = await this.api("GET", "/api/teams");
      this.teams = found.teams;
      this.invitations = found.invitations;
      this.workshops = (await this.api("GET", "/api/workshops")).workshops ?? [];
      if (this.teamId && !this.team()) this.teamId = null;
      return "";
    });
  }

  team() {
    return this.teams.find((team) => team.id === this.teamId) ?? null;
  }

  keep(team) {
    const at = this.teams.findIndex((known) => known.id === team.id);
    if (at >= 0) this.teams[at] = team;
    else this.teams.push(team);
  }

  render() {
    const team = this.team();
    this.body.replaceChildren(...this.progressView(), ...(team ? this.teamView(team) : this.listView()));
    this.watch();
  }

  // --- the list of teams ------------------------------------------------------------------

  listView() {
    const nodes = [];
    if (this.pendingJoin) {
      const join = el("button", { text: t("plans.joinLinkButton"), class: "primary", type: "button" });
      join.addEventListener("click", () => this.joinWithLink());
      nodes.push(el("section", { class: "plans-join" }, [el("p", { text: t("plans.joinLink") }), join]));
    }
    nodes.push(el("h3", { text: t("plans.teams") }));
    if (!this.teams.length) nodes.push(el("p", { text: t("plans.noTeams") }));
    const list = el("ul", { class: "plans-teams" });
    for (const team of this.teams) {
      const open = el("button", { text: team.firm ? `${team.name} (${team.firm})` : team.name, type: "button" });
      open.setAttribute("aria-label", t("plans.open", { name: team.name }));
      open.addEventListener("click", () => {
        this.teamId = team.id;
        this.say("");
        this.render();
        this.body.querySelector("h3")?.focus();
      });
      list.append(el("li", {}, [open]));
    }
    nodes.push(list);
    if (this.invitations.length) {
      nodes.push(el("h3", { text: t("plans.invitations") }));
      const invited = el("ul");
      for (const team of this.invitations) {
        const join = el("button", { text: t("plans.joinTeam", { name: team.name }), type: "button" });
        join.addEventListener("click", () =>
          this.act(async () => {
            const joined = await this.api("POST", `/api/teams/${encodeURIComponent(team.id)}/join`, {});
            this.keep(joined);
            this.invitations = this.invitations.filter((known) => known.id !== team.id);
            this.teamId = joined.id;
            return t("plans.joined", { name: joined.name });
          }),
        );
        invited.append(el("li", {}, [join]));
      }
      nodes.push(invited);
    }
    const form = el("form", { class: "plans-new-team" });
    const name = el("input", { name: "name", required: "", maxlength: "80", autocomplete: "off" });
    const firm = el("input", { name: "firm", maxlength: "80", autocomplete: "organization" });
    form.append(
      el("h3", { text: t("plans.newTeam") }),
      ...labelled(t("plans.teamName"), name, "plans-field"),
      ...labelled(t("plans.firm"), firm, "plans-field"),
      el("div", { class: "button-row" }, [el("button", { text: t("plans.create"), class: "primary", type: "submit" })]),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.act(async () => {
        const team = await this.api("POST", "/api/teams", { name: name.value, firm: firm.value });
        this.keep(team);
        this.teamId = team.id;
        return t("plans.created", { name: team.name });
      }, "#plans-new-title");
    });
    nodes.push(form);
    return nodes;
  }

  async joinWithLink() {
    const { team, link } = this.pendingJoin;
    await this.act(async () => {
      const joined = await this.api("POST", `/api/teams/${encodeURIComponent(team)}/join`, { link });
      this.pendingJoin = null;
      this.keep(joined);
      this.teamId = joined.id;
      return t("plans.joined", { name: joined.name });
    });
  }

  // --- one team's plan ----------------------------------------------------------------------

  teamView(team) {
    const base = `/api/teams/${encodeURIComponent(team.id)}`;
    const back = el("button", { text: t("plans.back"), type: "button" });
    back.addEventListener("click", () => {
      this.teamId = null;
      this.render();
      this.body.querySelector("button")?.focus();
    });
    const heading = el("h3", { text: team.firm ? `${team.name} – ${team.firm}` : team.name, tabindex: "-1" });
    const totals = team.totals;
    const summary = el("p", {
      class: "plans-totals",
      text: t("plans.totals", {
        done: totals.done,
        count: totals.measures,
        co2: number(totals.co2e_kg_planned),
        kwh: number(totals.energy_kwh_planned),
        eur: number(totals.money_eur_planned),
      }),
    });
    const members = el("ul", { class: "plans-members", "aria-label": t("plans.members") });
    for (const member of team.members) {
      members.append(el("li", { text: member.role === "lead" ? `${member.name} (${t("plans.lead")})` : member.name }));
    }
    /** @type {HTMLElement[]} */
    const nodes = [back, heading, summary, el("h4", { text: t("plans.members") }), members];
    if (team.link) {
      const address = `${window.location.origin}/?team=${encodeURIComponent(team.id)}&join=${encodeURIComponent(team.link)}`;
      const link = el("input", { readonly: "", value: address });
      link.addEventListener("focus", () => link.select());
      nodes.push(el("div", { class: "plans-link" }, labelled(t("plans.link"), link, "plans-field")));
    }
    const row = el("div", { class: "button-row" });
    for (const [kind, label] of [["csv", "plans.csv"], ["pdf", "plans.pdf"]]) {
      const button = el("button", { text: t(label), type: "button" });
      button.addEventListener("click", () => this.download(`${base}/plan.${kind}?lang=${language()}`, `plan.${kind}`));
      row.append(button);
    }
    if (team.me.member) {
      const leave = el("button", { text: t("plans.leave"), type: "button" });
      leave.addEventListener("click", () =>
        this.act(async () => {
          await this.api("POST", `${base}/leave`);
          this.teams = this.teams.filter((known) => known.id !== team.id);
          this.teamId = null;
          return t("plans.left");
        }),
      );
      row.append(leave);
    }
    nodes.push(row);
    if (team.me.lead) nodes.push(this.leadSection(team, base));
    nodes.push(el("h4", { text: t("plans.measures") }));
    if (!team.measures.length) nodes.push(el("p", { text: t("plans.noMeasures") }));
    const list = el("ul", { class: "plans-measures" });
    for (const measure of team.measures) list.append(this.measureItem(team, measure, base));
    nodes.push(list, this.measureForm(team, base));
    return nodes;
  }

  /** For the team's leads: invite an account by name, share with a workshop, consent. */
  leadSection(team, base) {
    const section = el("section", { class: "plans-lead" }, [el("h4", { text: t("plans.manage") })]);
    const invite = el("form");
    const username = el("input", { name: "username", autocomplete: "off", maxlength: "64" });
    invite.append(...labelled(t("plans.inviteName"), username, "plans-field"), el("button", { text: t("plans.invite"), type: "submit" }));
    invite.addEventListener("submit", (event) => {
      event.preventDefault();
      this.act(async () => {
        this.keep(await this.api("POST", `${base}/invite`, { username: username.value }));
        return t("plans.invited", { name: username.value });
      });
    });
    section.append(invite);
    const shared = el("ul");
    for (const id of team.workshops) {
      const title = this.workshops.find((w) => w.id === id)?.title ?? id;
      const stop = el("button", { text: t("plans.unshare", { title }), type: "button" });
      stop.addEventListener("click", () =>
        this.act(async () => {
          this.keep(await this.api("POST", `${base}/workshops`, { workshop: id, shared: false }));
          return t("plans.saved");
        }),
      );
      shared.append(el("li", {}, [stop]));
    }
    const offered = this.workshops.filter((w) => !team.workshops.includes(w.id));
    if (offered.length) {
      const form = el("form");
      const choice = select("workshop", offered.map((w) => w.id), (id) => offered.find((w) => w.id === id).title, "");
      form.append(...labelled(t("plans.shareWith"), choice, "plans-field"), el("button", { text: t("plans.share"), type: "submit" }));
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        this.act(async () => {
          this.keep(await this.api("POST", `${base}/workshops`, { workshop: choice.value, shared: true }));
          return t("plans.saved");
        });
      });
      section.append(form);
    }
    section.append(shared);
    const consent = el("input", { type: "checkbox", name: "show_progress" });
    consent.checked = Boolean(team.show_progress);
    consent.addEventListener("change", () =>
      this.act(async () => {
        this.keep(await this.api("PATCH", base, { show_progress: consent.checked }));
        return t("plans.saved");
      }),
    );
    const [label] = labelled(t("plans.showProgress"), consent, "plans-field");
    label.prepend(consent);
    label.className = "check";
    section.append(label);
    return section;
  }

  measureItem(team, measure, base) {
    const owner = team.members.find((member) => member.id === measure.owner);
    const facts = [t(`plans.area.${measure.area}`), owner?.name, measure.due].filter(Boolean).join(" · ");
    const item = el("li", { class: "plans-measure", "data-measure": measure.id }, [
      el("h5", { text: measure.title }),
      el("p", { text: facts }),
      el("p", {
        text: t("plans.savings", { co2: number(measure.co2e_kg), kwh: number(measure.energy_kwh), eur: number(measure.money_eur) }),
      }),
    ]);
    const source = measure.source;
    if (source?.kind === "calculator") item.append(el("p", { class: "hint", text: t("plans.fromCalculator", { station: source.station }) }));
    else if (source?.kind === "estimate") item.append(el("p", { class: "hint", text: source.text }));
    const status = select("status", STATUSES, (value) => t(`plans.status.${value}`), measure.status);
    status.setAttribute("aria-label", t("plans.statusOf", { title: measure.title }));
    status.addEventListener("change", () =>
      this.act(async () => {
        await this.api("PATCH", `${base}/measures/${measure.id}`, { status: status.value });
        this.keep(await this.api("GET", base));
        return t("plans.saved");
      }),
    );
    const row = el("div", { class: "button-row" }, [status]);
    const calculation = this.calculation;
    if (calculation) {
      const use = el("button", { text: t("plans.useCalculation", { station: calculation.title }), type: "button" });
      use.setAttribute("aria-label", t("plans.useCalculationFor", { station: calculation.title, title: measure.title }));
      use.addEventListener("click", () =>
        this.act(async () => {
          await this.api("POST", `${base}/measures/${measure.id}/calculation`, {
            station: calculation.station,
            inputs: calculation.inputs,
            lang: calculation.lang,
          });
          this.keep(await this.api("GET", base));
          return t("plans.calculationTaken", { title: measure.title });
        }),
      );
      row.append(use);
    }
    if (source?.kind === "calculator") {
      const again = el("button", { text: "↻", type: "button", "aria-label": t("plans.recompute", { title: measure.title }) });
      again.addEventListener("click", () =>
        this.act(async () => {
          await this.api("POST", `${base}/measures/${measure.id}/recompute`);
          this.keep(await this.api("GET", base));
          return t("plans.recomputed");
        }),
      );
      row.append(again);
    }
    const remove = el("button", { text: "×", type: "button", "aria-label": t("plans.remove", { title: measure.title }) });
    remove.addEventListener("click", () =>
      this.act(async () => {
        await this.api("DELETE", `${base}/measures/${measure.id}`);
        this.keep(await this.api("GET", base));
        return t("plans.removed");
      }, "#plans-new-title"),
    );
    row.append(remove);
    item.append(row);
    return item;
  }

  measureForm(team, base) {
    const form = el("form", { class: "plans-new-measure" });
    const title = el("input", { id: "plans-new-title", name: "title", required: "", maxlength: "120", autocomplete: "off" });
    const area = select("area", AREAS, (value) => t(`plans.area.${value}`), "energy");
    const owner = select("owner", ["", ...team.members.map((member) => member.id)], (value) =>
      value ? team.members.find((member) => member.id === value).name : t("plans.nobody"),
    this.identity()?.id ?? "");
    const due = el("input", { name: "due", type: "date" });
    const status = select("status", STATUSES, (value) => t(`plans.status.${value}`), "idea");
    const co2 = el("input", { name: "co2e_kg", type: "number", min: "0", step: "any", inputmode: "decimal" });
    const kwh = el("input", { name: "energy_kwh", type: "number", min: "0", step: "any", inputmode: "decimal" });
    const eur = el("input", { name: "money_eur", type: "number", min: "0", step: "any", inputmode: "decimal" });
    const source = el("input", { name: "source_text", maxlength: "300" });
    form.append(
      el("h4", { text: t("plans.addMeasure") }),
      ...labelled(t("plans.title"), title, "plans-field"),
      ...labelled(t("plans.area"), area, "plans-field"),
      ...labelled(t("plans.owner"), owner, "plans-field"),
      ...labelled(t("plans.due"), due, "plans-field"),
      ...labelled(t("plans.status"), status, "plans-field"),
      ...labelled(t("plans.co2"), co2, "plans-field"),
      ...labelled(t("plans.kwh"), kwh, "plans-field"),
      ...labelled(t("plans.eur"), eur, "plans-field"),
      ...labelled(t("plans.source"), source, "plans-field"),
      el("div", { class: "button-row" }, [el("button", { text: t("plans.add"), class: "primary", type: "submit" })]),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const amount = (input) => (input.value === "" ? null : Number(input.value));
      this.act(async () => {
        const added = await this.api("POST", `${base}/measures`, {
          title: title.value,
          area: area.value,
          owner: owner.value || null,
          due: due.value || null,
          status: status.value,
          co2e_kg: amount(co2),
          energy_kwh: amount(kwh),
          money_eur: amount(eur),
          source_text: source.value,
        });
        this.keep(await this.api("GET", base));
        return t("plans.added", { title: added.title });
      }, "#plans-new-title");
    });
    return form;
  }

  async download(path, fallback) {
    try {
      const { name, blob } = await fetchFile(path, this.token(), fallback);
      saveFile(blob, name);
    } catch (error) {
      this.say(t("plans.failed", { message: error.message }), true);
    }
  }

  /** For the test hook. */
  snapshot() {
    return {
      teams: this.teams.map((team) => ({ id: team.id, name: team.name, measures: team.measures.map((m) => m.title) })),
      progress: this.progress,
      screen: this.screen.shown(),
    };
  }
}
