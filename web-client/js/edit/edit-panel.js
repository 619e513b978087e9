/**
 * The edit mode's panel (staff only): what is selected, buttons to move and turn it in
 * steps (the keyboard's way to do what the gizmo does), the asset library with thumbnails,
 * adding a station or a screen, undo/redo, the draft's changes and publishing. It only
 * shows things and reports clicks to the edit mode (edit-mode.js), which talks to the server.
 *
 * The toolbar button and the panel are made here, so the page's markup stays as it is for
 * everyone who is not staff. Every control is a plain button, input or select.
 */

import { el } from "../ui/dom.js";
import { formatBytes, pick, t, translatePage } from "../ui/i18n.js";
import { EditExtras } from "./edit-panel-extras.js";

const NUDGES = [
  ["north", 0, -1],
  ["west", -1, 0],
  ["east", 1, 0],
  ["south", 0, 1],
];

function field(id, labelKey, input) {
  return [el("label", { for: id, "data-i18n": labelKey }), input];
}

export class EditPanel {
  /**
   * actions: {toggle(), close(), select(id), mode(name), nudge(dx, dz), turn(deg), remove(),
   * place(asset), addStation(title), addScreen(width, height), undo(), redo(), publish(message),
   * editContent(stationId)}, and those of EditExtras (edit-panel-extras.js).
   */
  constructor(actions) {
    this.actions = actions;
    this.button = el("button", {
      type: "button", id: "toggle-edit", "aria-controls": "panel-edit", "aria-expanded": "false", "data-i18n": "hud.edit",
    });
    this.button.addEventListener("click", () => actions.toggle());
    const settings = document.getElementById("toggle-settings");
    settings.parentElement.insertBefore(this.button, settings);

    this.status = el("p", { id: "edit-status", class: "status", role: "status" });
    this.select = el("select", { id: "edit-item" });
    this.select.addEventListener("change", () => actions.select(this.select.value || null));
    this.modeButtons = {
      translate: el("button", { type: "button", id: "edit-mode-move", "aria-pressed": "true", "data-i18n": "edit.move" }),
      rotate: el("button", { type: "button", id: "edit-mode-rotate", "aria-pressed": "false", "data-i18n": "edit.rotate" }),
    };
    for (const [mode, button] of Object.entries(this.modeButtons)) {
      button.addEventListener("click", () => actions.mode(mode));
    }
    const nudges = NUDGES.map(([name, dx, dz]) => {
      const button = el("button", { type: "button", id: `edit-${name}`, "data-i18n": `edit.${name}` });
      button.addEventListener("click", () => actions.nudge(dx, dz));
      return button;
    });
    const turnLeft = el("button", { type: "button", id: "edit-turn-left", "data-i18n": "edit.turnLeft" });
    turnLeft.addEventListener("click", () => actions.turn(15));
    const turnRight = el("button", { type: "button", id: "edit-turn-right", "data-i18n": "edit.turnRight" });
    turnRight.addEventListener("click", () => actions.turn(-15));
    this.removeButton = el("button", { type: "button", id: "edit-remove", "data-i18n": "edit.remove" });
    this.removeButton.addEventListener("click", () => actions.remove());
    this.contentButton = el("button", { type: "button", id: "edit-content", "data-i18n": "content.edit", disabled: true });
    this.contentButton.addEventListener("click", () => actions.editContent(this.selected));
    this.extras = new EditExtras(actions);
    this.selectionControls = [
      ...Object.values(this.modeButtons), ...nudges, turnLeft, turnRight, this.removeButton, ...this.extras.selectionControls,
    ];

    this.library = el("ul", { id: "edit-library", class: "edit-library" });
    this.libraryNote = el("p", { class: "hint" });
    const stationDe = el("input", { id: "edit-station-de", type: "text", maxlength: "90" });
    const stationEn = el("input", { id: "edit-station-en", type: "text", maxlength: "90" });
    const stationForm = el("form", { id: "edit-add-station", class: "edit-form", novalidate: "" }, [
      ...field("edit-station-de", "edit.stationTitleDe", stationDe),
      ...field("edit-station-en", "edit.stationTitleEn", stationEn),
      el("button", { type: "submit", "data-i18n": "edit.addStation" }),
    ]);
    stationForm.addEventListener("submit", (event) => {
      event.preventDefault();
      actions.addStation({ de: stationDe.value.trim(), en: stationEn.value.trim() });
    });
    const width = el("input", { id: "edit-screen-width", type: "number", min: "0.3", max: "12", step: "0.1", value: "2" });
    const height = el("input", { id: "edit-screen-height", type: "number", min: "0.3", max: "12", step: "0.1", value: "1.2" });
    const screenForm = el("form", { id: "edit-add-screen", class: "edit-form", novalidate: "" }, [
      ...field("edit-screen-width", "edit.screenWidth", width),
      ...field("edit-screen-height", "edit.screenHeight", height),
      el("button", { type: "submit", "data-i18n": "edit.addScreen" }),
    ]);
    screenForm.addEventListener("submit", (event) => {
      event.preventDefault();
      actions.addScreen(Number(width.value), Number(height.value));
    });

    this.undoButton = el("button", { type: "button", id: "edit-undo", "data-i18n": "edit.undo", disabled: true });
    this.undoButton.addEventListener("click", () => actions.undo());
    this.redoButton = el("button", { type: "button", id: "edit-redo", "data-i18n": "edit.redo", disabled: true });
    this.redoButton.addEventListener("click", () => actions.redo());
    this.changes = el("p", { id: "edit-changes", class: "status" });
    this.changeList = el("ul", { id: "edit-change-list", class: "edit-changes" });
    this.message = el("input", { id: "edit-message", type: "text", maxlength: "500", autocomplete: "off" });
    this.publishButton = el("button", { type: "submit", id: "edit-publish-button", "data-i18n": "edit.publish" });
    const publishForm = el("form", { id: "edit-publish", class: "edit-form", novalidate: "" }, [
      ...field("edit-message", "edit.message", this.message),
      this.publishButton,
    ]);
    publishForm.addEventListener("submit", (event) => {
      event.preventDefault();
      actions.publish(this.message.value.trim());
    });

    const close = el("button", { type: "button", class: "close", "data-i18n-label": "hud.close" }, ["×"]);
    close.addEventListener("click", () => actions.close());
    this.root = el("aside", {
      id: "panel-edit", class: "panel panel-left panel-content", "aria-labelledby": "edit-heading", hidden: true,
    }, [
      el("div", { class: "panel-head" }, [el("h2", { id: "edit-heading", "data-i18n": "edit.heading" }), close]),
      el("p", { class: "hint", "data-i18n": "edit.intro" }),
      this.status,
      el("section", { "aria-labelledby": "edit-item-heading" }, [
        el("h3", { id: "edit-item-heading" }, [el("label", { for: "edit-item", "data-i18n": "edit.item" })]),
        this.select,
        el("div", { class: "button-row" }, Object.values(this.modeButtons)),
        el("div", { class: "button-row edit-nudges", role: "group", "aria-labelledby": "edit-nudge-label" }, [
          el("span", { id: "edit-nudge-label", class: "visually-hidden", "data-i18n": "edit.nudge" }),
          ...nudges, turnLeft, turnRight,
        ]),
        el("div", { class: "button-row" }, [this.removeButton, this.contentButton]),
        ...this.extras.selectionRows,
      ]),
      el("section", { "aria-labelledby": "edit-add-heading" }, [
        el("h3", { id: "edit-add-heading", "data-i18n": "edit.add" }),
        el("p", { class: "hint", "data-i18n": "edit.library" }),
        this.library,
        this.libraryNote,
        el("h4", { "data-i18n": "edit.station" }),
        stationForm,
        el("h4", { "data-i18n": "edit.screen" }),
        screenForm,
        ...this.extras.addParts,
      ]),
      el("section", { "aria-labelledby": "edit-draft-heading" }, [
        el("h3", { id: "edit-draft-heading", "data-i18n": "edit.draft" }),
        el("div", { class: "button-row" }, [this.undoButton, this.redoButton]),
        this.changes,
        this.changeList,
        ...this.extras.checkParts,
        publishForm,
      ]),
      this.extras.versionsSection,
    ]);
    this.root.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        actions.close();
      }
    });
    document.getElementById("hub").append(this.root);
    translatePage(this.root);
    translatePage(this.button.parentElement);
    this.items = [];
    this.selected = null;
    this.showSelection(null);
  }

  get open() {
    return !this.root.hidden;
  }

  show(open) {
    this.root.hidden = !open;
    this.button.setAttribute("aria-expanded", String(open));
    if (open) this.select.focus();
    else this.button.focus();
  }

  setItems(items, rooms) {
    this.items = items;
    this.rooms = rooms;
    this.renderItems();
  }

  renderItems() {
    const names = new Map((this.rooms ?? []).map((room) => [room.id, pick(room.names) || room.id]));
    const options = [el("option", { value: "" }, [t("edit.none")])];
    for (const item of this.items) {
      const label = t("edit.itemLabel", {
        id: item.id,
        kind: t(`edit.kind.${item.kind}`),
        name: item.name && item.kind !== "furniture" && item.kind !== "asset" ? `„${item.name}“` : `(${item.name || "–"})`,
        room: names.get(item.room) ?? item.room,
      });
      options.push(el("option", { value: item.id }, [label]));
    }
    this.select.replaceChildren(...options);
    this.select.value = this.selected ?? "";
  }

  showSelection(id) {
    this.selected = id;
    this.select.value = id ?? "";
    for (const control of this.selectionControls) control.disabled = !id;
    this.extras.setRooms(this.rooms ?? [], this.items.find((item) => item.id === id)?.room);
    this.contentButton.disabled = !this.items.some((item) => item.id === id && item.kind === "station");
  }

  showMode(mode) {
    for (const [name, button] of Object.entries(this.modeButtons)) button.setAttribute("aria-pressed", String(name === mode));
  }

  setLibrary(assets) {
    this.library.replaceChildren(
      ...assets.map((asset) => {
        const title = pick(asset.title) || asset.name;
        const button = el("button", { type: "button", class: "edit-asset", dataset: { asset: asset.name } }, [
          asset.thumbnail ? el("img", { src: asset.thumbnail, alt: "", width: "64", height: "64" }) : "",
          el("span", {}, [title]),
          el("span", { class: "hint" }, [
            `${asset.size.map((v) => v.toFixed(1)).join(" × ")} m · ${formatBytes(asset.bytes)}`,
          ]),
        ]);
        button.setAttribute("aria-label", t("edit.placeAsset", { title }));
        button.addEventListener("click", () => this.actions.place(asset.name));
        return el("li", {}, [button]);
      }),
    );
    this.libraryNote.textContent = assets.length ? "" : t("edit.libraryEmpty");
  }

  setHistory(counts) {
    this.undoButton.disabled = !counts.undo;
    this.redoButton.disabled = !counts.redo;
  }

  setChanges(changes) {
    this.changes.textContent = changes.length ? t("edit.changes", { n: changes.length }) : t("edit.noChanges");
    this.changeList.replaceChildren(
      ...changes.map((change) => {
        const text = t(`edit.change.${change.change}`, { kind: t(`edit.kind.${change.kind}`), id: change.id });
        const revert = el("button", { type: "button", class: "edit-revert", dataset: { id: change.id } }, [t("edit.revert")]);
        revert.setAttribute("aria-label", t("edit.revertOne", { id: change.id }));
        revert.addEventListener("click", () => this.actions.revert(change.id));
        return el("li", { dataset: { id: change.id } }, [`${text} `, revert]);
      }),
    );
  }

  say(text, { error = false } = {}) {
    this.status.textContent = text;
    this.status.classList.toggle("error", error);
    this.status.setAttribute("role", error ? "alert" : "status");
  }

  busy(working) {
    this.publishButton.disabled = working;
  }
}
