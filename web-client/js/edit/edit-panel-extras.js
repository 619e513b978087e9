/**
 * The edit panel's further tools (made here, placed by edit-panel.js): for the selection,
 * moving it to another room, putting it against the nearest wall, lining it up with its
 * neighbour, the floor grid (and snapping to walls while dragging) and turns of 90°; adding
 * a board, a sign or a spawn point; importing a model by dropping its file (or choosing it); the placement checks before publishing; and
 * the versions: the list, a preview of one (what rolling back to it would change) and the
 * rollback, version 0 (the world as built) included. Like the panel it only shows things and
 * reports to the edit mode (edit-mode.js).
 */

import { el } from "../ui/dom.js";
import { formatBytes, pick, t } from "../ui/i18n.js";

function button(id, key, onClick) {
  const b = el("button", { type: "button", id, "data-i18n": key });
  b.addEventListener("click", onClick);
  return b;
}

const MODEL_TYPES = ".glb,.gltf,.obj,.stl";

export class EditExtras {
  /**
   * actions: {moveToRoom(room), toWall(), align(), grid(on), wallSnap(on), turn(deg), addBoard(title, w, h),
   * addSign(title, width), addSpawn(), importFile(file, options), revert(id), check(), versions(), preview(n), rollback(n)}
   */
  constructor(actions) {
    this.actions = actions;
    // --- the selection ---
    this.roomSelect = el("select", { id: "edit-room-select" });
    this.moveRoom = button("edit-move-room", "edit.moveToRoom", () => actions.moveToRoom(this.roomSelect.value));
    this.toWall = button("edit-to-wall", "edit.toWall", () => actions.toWall());
    this.align = button("edit-align", "edit.align", () => actions.align());
    const turnLeft = button("edit-turn-90-left", "edit.turn90Left", () => actions.turn(90));
    const turnRight = button("edit-turn-90-right", "edit.turn90Right", () => actions.turn(-90));
    this.grid = el("input", { id: "edit-grid", type: "checkbox" });
    this.grid.addEventListener("change", () => actions.grid(this.grid.checked));
    this.wallSnap = el("input", { id: "edit-wall-snap", type: "checkbox", checked: true });
    this.wallSnap.addEventListener("change", () => actions.wallSnap(this.wallSnap.checked));
    this.selectionControls = [this.roomSelect, this.moveRoom, this.toWall, this.align, turnLeft, turnRight];
    this.selectionRows = [
      el("div", { class: "button-row" }, [turnLeft, turnRight, this.toWall, this.align]),
      el("label", { class: "edit-check" }, [this.grid, el("span", { "data-i18n": "edit.grid" })]),
      el("label", { class: "edit-check" }, [this.wallSnap, el("span", { "data-i18n": "edit.wallSnap" })]),
      el("div", { class: "edit-form" }, [
        el("label", { for: "edit-room-select", "data-i18n": "edit.otherRoom" }),
        this.roomSelect,
        this.moveRoom,
      ]),
    ];

    // --- adding: a board, a spawn point, a model file ---
    const boardDe = el("input", { id: "edit-board-de", type: "text", maxlength: "90" });
    const boardEn = el("input", { id: "edit-board-en", type: "text", maxlength: "90" });
    const boardWidth = el("input", { id: "edit-board-width", type: "number", min: "0.3", max: "12", step: "0.1", value: "2.4" });
    const boardHeight = el("input", { id: "edit-board-height", type: "number", min: "0.3", max: "12", step: "0.1", value: "1.2" });
    const boardForm = el("form", { id: "edit-add-board", class: "edit-form", novalidate: "" }, [
      el("label", { for: "edit-board-de", "data-i18n": "edit.stationTitleDe" }), boardDe,
      el("label", { for: "edit-board-en", "data-i18n": "edit.stationTitleEn" }), boardEn,
      el("label", { for: "edit-board-width", "data-i18n": "edit.screenWidth" }), boardWidth,
      el("label", { for: "edit-board-height", "data-i18n": "edit.screenHeight" }), boardHeight,
      el("button", { type: "submit", "data-i18n": "edit.addBoard" }),
    ]);
    boardForm.addEventListener("submit", (event) => {
      event.preventDefault();
      actions.addBoard({ de: boardDe.value.trim(), en: boardEn.value.trim() }, Number(boardWidth.value), Number(boardHeight.value));
    });
    const signDe = el("input", { id: "edit-sign-de", type: "text", maxlength: "90" });
    const signEn = el("input", { id: "edit-sign-en", type: "text", maxlength: "90" });
    const signWidth = el("input", { id: "edit-sign-width", type: "number", min: "0.5", max: "8", step: "0.1", value: "2.4" });
    const signForm = el("form", { id: "edit-add-sign", class: "edit-form", novalidate: "" }, [
      el("label", { for: "edit-sign-de", "data-i18n": "edit.signDe" }), signDe,
      el("label", { for: "edit-sign-en", "data-i18n": "edit.signEn" }), signEn,
      el("label", { for: "edit-sign-width", "data-i18n": "edit.signWidth" }), signWidth,
      el("button", { type: "submit", "data-i18n": "edit.addSign" }),
    ]);
    signForm.addEventListener("submit", (event) => {
      event.preventDefault();
      actions.addSign({ de: signDe.value.trim(), en: signEn.value.trim() }, Number(signWidth.value));
    });
    const spawn = button("edit-add-spawn", "edit.addSpawn", () => actions.addSpawn());
    this.fileInput = el("input", { id: "edit-import-file", type: "file", accept: MODEL_TYPES });
    this.units = el("select", { id: "edit-import-units" }, ["m", "cm", "mm", "in"].map((u) => el("option", { value: u }, [u])));
    this.importName = el("input", { id: "edit-import-name", type: "text", maxlength: "64", autocomplete: "off" });
    this.fileInput.addEventListener("change", () => {
      const file = this.fileInput.files?.[0];
      if (file) this.importFile(file);
      this.fileInput.value = "";
    });
    this.dropZone = el("div", { id: "edit-drop", class: "edit-drop", tabindex: "-1" }, [
      el("p", { "data-i18n": "edit.dropHint" }),
      el("label", { for: "edit-import-file", "data-i18n": "edit.chooseFile" }),
      this.fileInput,
      el("label", { for: "edit-import-units", "data-i18n": "edit.units" }),
      this.units,
      el("label", { for: "edit-import-name", "data-i18n": "edit.importName" }),
      this.importName,
    ]);
    for (const kind of ["dragenter", "dragover"]) {
      this.dropZone.addEventListener(kind, (event) => {
        event.preventDefault();
        this.dropZone.classList.add("dragging");
      });
    }
    this.dropZone.addEventListener("dragleave", () => this.dropZone.classList.remove("dragging"));
    this.dropZone.addEventListener("drop", (event) => {
      event.preventDefault();
      this.dropZone.classList.remove("dragging");
      const file = event.dataTransfer?.files?.[0];
      if (file) this.importFile(file);
    });
    this.addParts = [
      el("h4", { "data-i18n": "edit.importHeading" }), this.dropZone,
      el("h4", { "data-i18n": "edit.board" }), boardForm,
      el("h4", { "data-i18n": "edit.sign" }), signForm,
      el("h4", { "data-i18n": "edit.kind.spawn" }), el("div", { class: "button-row" }, [spawn]),
    ];

    // --- the checks before publishing ---
    this.checkList = el("ul", { id: "edit-checks", class: "edit-changes" });
    this.checkSummary = el("p", { id: "edit-check-summary", class: "status" });
    this.checkParts = [
      el("div", { class: "button-row" }, [button("edit-check-button", "edit.check", () => actions.check())]),
      this.checkSummary,
      this.checkList,
    ];

    // --- the versions ---
    this.versionList = el("ul", { id: "edit-versions", class: "edit-versions" });
    this.preview = el("div", { id: "edit-version-preview", class: "edit-preview", hidden: true });
    this.versionsSection = el("section", { "aria-labelledby": "edit-versions-heading" }, [
      el("h3", { id: "edit-versions-heading", "data-i18n": "edit.versions" }),
      el("div", { class: "button-row" }, [button("edit-versions-button", "edit.showVersions", () => actions.versions())]),
      this.versionList,
      this.preview,
    ]);
    this.versions = [];
    this.checks = [];
  }

  importFile(file) {
    this.actions.importFile(file, { units: this.units.value, name: this.importName.value.trim() });
  }

  setRooms(rooms, current) {
    const options = (rooms ?? []).map((room) => el("option", { value: room.id }, [pick(room.names) || room.id]));
    const keep = this.roomSelect.value;
    this.roomSelect.replaceChildren(...options);
    this.roomSelect.value = keep && keep !== current ? keep : (rooms.find((r) => r.id !== current)?.id ?? "");
  }

  setChecks(checks) {
    this.checks = checks;
    const refused = checks.filter((c) => !c.ok).length;
    const warnings = checks.reduce((n, c) => n + c.warnings.length, 0);
    this.checkSummary.textContent = t("edit.checkSummary", { n: checks.length, refused, warnings });
    this.checkSummary.classList.toggle("error", refused > 0);
    const lines = [];
    for (const check of checks) {
      if (!check.ok) lines.push(el("li", { class: "refused", dataset: { id: check.id } }, [t("edit.checkRefused", { id: check.id, message: check.refused })]));
      for (const warning of check.warnings) lines.push(el("li", { dataset: { id: check.id } }, [t("edit.warning", { message: warning })]));
    }
    this.checkList.replaceChildren(...lines);
  }

  setVersions(versions, served) {
    this.versions = versions;
    this.versionList.replaceChildren(
      ...versions.map((v) => {
        const label = t(v.version === 0 ? "edit.versionBuilt" : "edit.versionLine", {
          version: v.version,
          message: v.message ?? "",
          author: v.author ?? "?",
          time: (v.time ?? "").replace("T", " ").slice(0, 16),
        });
        const current = v.current ? [el("strong", {}, [` ${t("edit.versionCurrent")}`])] : [];
        const preview = el("button", { type: "button", class: "edit-preview-button", dataset: { version: String(v.version) }, "data-i18n": "edit.preview" });
        preview.textContent = t("edit.preview");
        preview.setAttribute("aria-label", t("edit.previewOf", { version: v.version }));
        preview.addEventListener("click", () => this.actions.preview(v.version));
        const back = el("button", { type: "button", class: "edit-rollback-button", dataset: { version: String(v.version) }, disabled: Boolean(v.current) });
        back.textContent = t("edit.rollback");
        back.setAttribute("aria-label", t("edit.rollbackTo", { version: v.version }));
        back.addEventListener("click", () => this.actions.rollback(v.version));
        return el("li", { dataset: { version: String(v.version) } }, [
          el("span", {}, [label, ...current]),
          el("div", { class: "button-row" }, [preview, back]),
        ]);
      }),
    );
    this.served = served;
  }

  setPreview(answer) {
    if (!answer) {
      this.preview.hidden = true;
      this.preview.replaceChildren();
      return;
    }
    const head = answer.changes.length
      ? t("edit.previewHead", { version: answer.version, n: answer.changes.length })
      : t("edit.previewSame", { version: answer.version });
    this.preview.replaceChildren(
      el("p", { class: "status" }, [head]),
      el("ul", { class: "edit-changes" }, answer.changes.map((c) => el("li", {}, [c.text]))),
    );
    this.preview.dataset.version = String(answer.version);
    this.preview.hidden = false;
  }

  describeImport(report) {
    const size = report.size_m.map((v) => v.toFixed(2)).join(" × ");
    return t("edit.imported", { name: report.name, size, triangles: report.triangles, bytes: formatBytes(report.bytes) });
  }
}
