/**
 * The avatar's look in the settings: the same choices as on the start page
 * (appearance-form.js) and a preview of the visitor's own avatar (look-preview.js), drawn
 * while the dialog is open. A change is kept in the browser and sent to the hub (the look
 * message), so everyone sees it.
 */

import { appearanceChoicesOf } from "../avatar-look.js";
import { buildAppearanceForm } from "./appearance-form.js";
import { LookPreview } from "./look-preview.js";

export class LookSettings {
  /** look: the current look; choices: the protocol's; onChange(look) after each choice. */
  constructor(look, choices, onChange) {
    this.dialog = /** @type {HTMLDialogElement} */ (document.getElementById("panel-settings"));
    this.preview = new LookPreview(document.getElementById("look-preview"), look, () => this.dialog.open);
    this.form = buildAppearanceForm(document.getElementById("settings-look-choices"), look, {
      choices: appearanceChoicesOf(choices),
      prefix: "settings-",
      onChange: (chosen) => {
        this.preview.setLook(chosen);
        onChange(chosen);
      },
    });
    new MutationObserver(() => this.preview.wake()).observe(this.dialog, { attributes: true, attributeFilter: ["open"] });
  }

  /** {frames, look, drawCalls, running}: for the test hook. */
  testState() {
    return this.preview.testState();
  }
}
