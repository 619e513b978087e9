/**
 * The avatar's look in the settings: the same choices as on the start page
 * (appearance-form.js) and a preview of the visitor's own avatar, turning slowly, drawn by
 * the crowd's own body code into a small canvas of its own while the dialog is open. A
 * change is kept in the browser and sent to the hub (the look message), so everyone sees it.
 */

import * as THREE from "three";
import { appearanceChoicesOf } from "../avatar-look.js";
import { AvatarCrowd } from "../avatars.js";
import { buildAppearanceForm } from "./appearance-form.js";

export class LookSettings {
  /** look: the current look; choices: the protocol's; onChange(look) after each choice. */
  constructor(look, choices, onChange) {
    this.dialog = document.getElementById("panel-settings");
    this.canvas = document.getElementById("look-preview");
    this.look = look;
    this.form = buildAppearanceForm(document.getElementById("settings-look-choices"), look, {
      choices: appearanceChoicesOf(choices),
      prefix: "settings-",
      onChange: (chosen) => {
        this.look = chosen;
        this.crowd?.setSelf(this.pose(), chosen);
        onChange(chosen);
      },
    });
    this.renderer = null;
    this.running = false;
    this.frames = 0;
    new MutationObserver(() => this.openChanged()).observe(this.dialog, { attributes: true, attributeFilter: ["open"] });
  }

  pose() {
    return { x: 0, y: 0, z: 0, yaw: Math.PI + Math.sin(performance.now() / 1400) * 0.7, pitch: 0, hand: false };
  }

  setup() {
    this.renderer = new THREE.WebGLRenderer({ canvas: this.canvas, antialias: true, alpha: true });
    this.renderer.setPixelRatio(Math.min(2, window.devicePixelRatio || 1));
    this.scene = new THREE.Scene();
    this.scene.add(new THREE.HemisphereLight(0xffffff, 0x8a8f88, 2.2));
    const sun = new THREE.DirectionalLight(0xffffff, 1.6);
    sun.position.set(1.5, 3, 2);
    this.scene.add(sun);
    this.camera = new THREE.PerspectiveCamera(30, this.canvas.width / this.canvas.height, 0.1, 20);
    this.camera.position.set(0, 1.1, 4.2);
    this.camera.lookAt(0, 0.95, 0);
    this.crowd = new AvatarCrowd(this.scene, 50, { tags: false });
    this.crowd.setSelf(this.pose(), this.look);
  }

  openChanged() {
    if (this.dialog.open && !this.running) {
      if (!this.renderer) this.setup();
      this.running = true;
      const draw = () => {
        if (!this.dialog.open) {
          this.running = false;
          return;
        }
        this.crowd.setSelf(this.pose());
        this.crowd.update(0, this.camera);
        this.renderer.render(this.scene, this.camera);
        this.frames += 1;
        requestAnimationFrame(draw);
      };
      requestAnimationFrame(draw);
    }
  }

  /** {frames, look, drawCalls}: for the test hook. */
  testState() {
    return { frames: this.frames, look: { ...this.look }, drawCalls: this.renderer?.info.render.calls ?? 0 };
  }
}
