/**
 * Seeing yourself: the camera either at the eyes (as always) or behind and a little above
 * the visitor's own avatar, which is then drawn by the crowd like everyone else (walking,
 * idle, the raised hand, a wave for a reaction). The camera comes closer where a wall
 * stands between it and the head. The toolbar button (key F) switches; the choice is kept
 * with the display preferences.
 */

import * as THREE from "three";
import { EYE_HEIGHT } from "./player.js";
import { t } from "./ui/i18n.js";

const BEHIND = 2.8;
const ABOVE = 0.55;
const WALL_MARGIN = 0.25;
const HEAD = 1.55;

export class SelfView {
  /**
   * stage, player, crowd, venue: the hub's; look(): the visitor's look; hand(): whether their
   * hand is up; preferences and save(preferences): where the choice is kept.
   */
  constructor({ player, crowd, venue, look, hand, preferences, save }) {
    this.player = player;
    this.crowd = crowd;
    this.venue = venue;
    this.look = look;
    this.hand = hand;
    this.preferences = preferences;
    this.save = save;
    this.mode = preferences.view === "behind" ? "behind" : "eyes";
    this.lookShown = null;
    this.raycaster = new THREE.Raycaster();
    this.head = new THREE.Vector3();
    this.back = new THREE.Vector3();
    this.button = document.getElementById("toggle-view");
    this.button?.addEventListener("click", () => this.toggle());
    this.render();
  }

  toggle() {
    this.mode = this.mode === "behind" ? "eyes" : "behind";
    this.preferences.view = this.mode;
    this.save(this.preferences);
    this.render();
  }

  /** The look changed (settings): the own avatar follows at once. */
  restyle() {
    this.lookShown = null;
  }

  render() {
    if (!this.button) return;
    const behind = this.mode === "behind";
    this.button.setAttribute("aria-pressed", String(behind));
    this.button.dataset.i18n = behind ? "hud.view.eyes" : "hud.view";
    this.button.textContent = t(this.button.dataset.i18n);
  }

  /** Place the camera for this frame and show (or hide) the own avatar. */
  apply(camera) {
    const player = this.player;
    if (this.mode !== "behind") {
      this.crowd.setSelf(null);
      player.applyToCamera(camera);
      return;
    }
    const look = this.look();
    const p = player.position;
    this.crowd.setSelf(
      { x: p.x, y: p.y, z: p.z, yaw: player.yaw, pitch: player.pitch, hand: this.hand() },
      look !== this.lookShown ? look : null,
    );
    this.lookShown = look;
    // Behind the head along the gaze, a little above; closer when a wall is in between.
    this.head.set(p.x, p.y + HEAD, p.z);
    const pitch = player.pitch * 0.7;
    this.back.set(Math.sin(player.yaw) * Math.cos(pitch), -Math.sin(pitch), Math.cos(player.yaw) * Math.cos(pitch));
    let distance = BEHIND;
    this.raycaster.set(this.head, this.back);
    this.raycaster.far = BEHIND + WALL_MARGIN;
    const hit = this.raycaster.intersectObjects(this.venue.solid, false)[0];
    if (hit) distance = Math.max(0.4, hit.distance - WALL_MARGIN);
    camera.position.copy(this.head).addScaledVector(this.back, distance);
    camera.position.y += ABOVE * (distance / BEHIND);
    camera.rotation.set(player.pitch - 0.12, player.yaw, 0, "YXZ");
    // the eyes' height for what follows the camera (voice, tags) stays sensible
    if (camera.position.y < p.y + 0.3) camera.position.y = p.y + Math.min(EYE_HEIGHT, 0.3);
  }
}
