/**
 * The edit mode's panel (staff only): what is selected, buttons to move and turn it in
 * steps (the keyboard's way to do what the gizmo does), the asset library with thumbnails,
 * adding a station or a screen, undo/redo, the draft's changes and publishing. It only
 * shows things and reports clicks to the edit mode (edit-mode.js), which talks to the server.
 *
 * The toolbar button and the panel are made here, so the page's markup stays as it is for
 * everyone who is not staff. Every control is a plain button, input or select.
 */

import { formatBytes, pick, t, translatePage } from "../ui/i18n.js";
import { EditExtras } from "./edit-panel-extras.js";

const NUDGES = [
  ["north", 0, -1],
  ["west", -1, 0],
  ["east", 1, 0],
  ["south", 0, 1],
];

function element(tag, props = {}, children = []) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "dataset") Object.assign(el.dataset, value);
    else if (key in el && typeof value !== "string") el[key] = value;
    else el.setAttribute(key, value);
  }
  el.append(...children);
  return el;
}

function field(id, labelKey, input) {
  return [element("label", { for: id, "data-i18n": labelKey }), input];
}

export class EditPanel {
  /**
   * actions: {toggle(), close(), select(id), mode(name), nudge(dx, dz), turn(deg), remove(),
   * place(asset), addStation(title), addScreen(width, height), undo(), redo(), publish(message),
   * editContent(stationId)}, and those of EditExtras (edit-panel-extras.js).
   */
  constructor(actions) {
    this.actions = actions;
    this.button = element("button", {
      type: "button", id: "toggle-edit", "aria-controls": "panel-edit", "aria-expanded": "false", "data-i18n": "hud.edit",
    });
    this.button.addEventListener("click", () => actions.toggle());
    const settings = document.getElementById("toggle-settings");
    settings.parentElement.insertBefore(this.button, settings);

    this.status = element("p", { id: "edit-status", class: "status", role: "status" });
    this.select = element("select", { id: "edit-item" });
    this.select.addEventListener("change", () => actions.select(this.select.value || null));
    this.modeButtons = {
      translate: element("button", { type: "button", id: "edit-mode-move", "aria-pressed": "true", "data-i18n": "edit.move" }),
      rotate: element("button", { type: "button", id: "edit-mode-rotate", "aria-pressed": "false", "data-i18n": "edit.rotate" }),
    };
    for (const [mode, button] of Object.entries(this.modeButtons)) {
      button.addEventListener("click", () => actions.mode(mode));
    }
    const nudges = NUDGES.map(([name, dx, dz]) => {
      const button = element("button", { type: "button", id: `edit-${name}`, "data-i18n": `edit.${name}` });
      button.addEventListener("click", () => actions.nudge(dx, dz));
      return button;
    });
    const turnLeft = element("button", { type: "button", id: "edit-turn-left", "data-i18n": "edit.turnLeft" });
    turnLeft.addEventListener("click", () => actions.turn(15));
    const turnRight = element("button", { type: "button", id: "edit-turn-right", "data-i18n": "edit.turnRight" });
    turnRight.addEventListener("click", () => actions.turn(-15));
    this.removeButton = element("button", { type: "button", id: "edit-remove", "data-i18n": "edit.remove" });
    this.removeButton.addEventListener("click", () => actions.remove());
    this.contentButton = element("button", { type: "button", id: "edit-content", "data-i18n": "content.edit", disabled: true });
    this.contentButton.addEventListener("click", () => actions.editContent(this.selected));
    this.extras = new EditExtras(actions);
    this.selectionControls = [
      ...Object.values(this.modeButtons), ...nudges, turnLeft, turnRight, this.removeButton, ...this.extras.selectionControls,
    ];

    this.library = element("ul", { id: "edit-library", class: "edit-library" });
    this.libraryNote = element("p", { class: "hint" });
    const stationDe = element("input", { id: "edit-station-de", type: "text", maxlength: "90" });
    const stationEn = element("input", { id: "edit-station-en", type: "text", maxlength: "90" });
    const stationForm = element("form", { id: "edit-add-station", class: "edit-form", novalidate: "" }, [
      ...field("edit-station-de", "edit.stationTitleDe", stationDe),
      ...field("edit-station-en", "edit.stationTitleEn", stationEn),
      element("button", { type: "submit", "data-i18n": "edit.addStation" }),
    ]);
    stationForm.addEventListener("submit", (event) => {
      event.preventDefault();
      actions.addStation({ de: stationDe.value.trim(), en: stationEn.value.trim() });
    });
    const width = element("input", { id: "edit-screen-width", type: "number", min: "0.3", max: "12", step: "0.1", value: "2" });
    const height = element("input", { id: "edit-screen-height", type: "number", min: "0.3", max: "12", step: "0.1", value: "1.2" });
    const screenForm = element("form", { id: "edit-add-screen", class: "edit-form", novalidate: "" }, [
      ...field("edit-screen-width", "edit.screenWidth", width),
      ...field("edit-screen-height", "edit.screenHeight", height),
      element("button", { type: "submit", "data-i18n": "edit.addScreen" }),
    ]);
    screenForm.addEventListener("submit", (event) => {
      event.preventDefault();
      actions.addScreen(Number(width.value), Number(height.value));
    });

    this.undoButton = element("button", { type: "button", id: "edit-undo", "data-i18n": "edit.undo", disabled: true });
    this.undoButton.addEventListener("click", () => actions.undo());
    this.redoButton = element("button", { type: "button", id: "edit-redo", "data-i18n": "edit.redo", disabled: true });
    this.redoButton.addEventListener("click", () => actions.redo());
    this.changes = element("p", { id: "edit-changes", class: "status" });
    this.changeList = element("ul", { id: "edit-change-list", class: "edit-changes" });
    this.message = element("input", { id: "edit-message", type: "text", maxlength: "500", autocomplete: "off" });
    this.publishButton = element("button", { type: "submit", id: "edit-publish-button", "data-i18n": "edit.publish" });
    const publishForm = element("form", { id: "edit-publish", class: "edit-form", novalidate: "" }, [
      ...field("edit-message", "edit.message", this.message),
      this.publishButton,
    ]);
    publishForm.addEventListener("submit", (event) => {
      event.preventDefault();
      actions.publish(this.message.value.trim());
    });

    const close = element("button", { type: "button", class: "close", "data-i18n-label": "hud.close" }, ["×"]);
    close.addEventListener("click", () => actions.close());
    this.root = element("aside", {
      id: "panel-edit", class: "panel panel-left panel-content", "aria-labelledby": "edit-heading", hidden: true,
    }, [
      element("div", { class: "panel-head" }, [element("h2", { id: "edit-heading", "data-i18n": "edit.heading" }), close]),
      element("p", { class: "hint", "data-i18n": "edit.intro" }),
      this.status,
      element("section", { "aria-labelledby": "edit-item-heading" }, [
        element("h3", { id: "edit-item-heading" }, [element("label", { for: "edit-item", "data-i18n": "edit.item" })]),
        this.select,
        element("div", { class: "button-row" }, Object.values(this.modeButtons)),
        element("div", { class: "button-row edit-nudges", role: "group", "aria-labelledby": "edit-nudge-label" }, [
          element("span", { id: "edit-nudge-label", class: "visually-hidden", "data-i18n": "edit.nudge" }),
          ...nudges, turnLeft, turnRight,
        ]),
        element("div", { class: "button-row" }, [this.removeButton, this.contentButton]),
        ...this.extras.selectionRows,
      ]),
      element("section", { "aria-labelledby": "edit-add-heading" }, [
        element("h3", { id: "edit-add-heading", "data-i18n": "edit.add" }),
        element("p", { class: "hint", "data-i18n": "edit.library" }),
        this.library,
        this.libraryNote,
        element("h4", { "data-i18n": "edit.station" }),
        stationForm,
        element("h4", { "data-i18n": "edit.screen" }),
        screenForm,
        ...this.extras.addParts,
      ]),
      element("section", { "aria-labelledby": "edit-draft-heading" }, [
        element("h3", { id: "edit-draft-heading", "data-i18n": "edit.draft" }),
        element("div", { class: "button-row" }, [this.undoButton, this.redoButton]),
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
    const options = [element("option", { value: "" }, [t("edit.none")])];
    for (const item of this.items) {
      const label = t("edit.itemLabel", {
        id: item.id,
        kind: t(`edit.kind.${item.kind}`),
        name: item.name && item.kind !== "furniture" && item.kind !== "asset" ? `„${item.name}“` : `(${item.name || "–"})`,
        room: names.get(item.room) ?? item.room,
      });
      options.push(element("option", { value: item.id }, [label]));
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
        const button = element("button", { type: "button", class: "edit-asset", dataset: { asset: asset.name } }, [
          asset.thumbnail ? element("img", { src: asset.thumbnail, alt: "", width: "64", height: "64" }) : "",
          element("span", {}, [title]),
          element("span", { class: "hint" }, [
            `${asset.size.map((v) => v.toFixed(1)).join(" × ")} m · ${formatBytes(asset.bytes)}`,
          ]),
        ]);
        button.setAttribute("aria-label", t("edit.placeAsset", { title }));
        button.addEventListener("click", () => this.actions.place(asset.name));
        return element("li", {}, [button]);
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
        const revert = element("button", { type: "button", class: "edit-revert", dataset: { id: change.id } }, [t("edit.revert")]);
        revert.setAttribute("aria-label", t("edit.revertOne", { id: change.id }));
        revert.addEventListener("click", () => this.actions.revert(change.id));
        return element("li", { dataset: { id: change.id } }, [`${text} `, revert]);
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
