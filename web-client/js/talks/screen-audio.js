/**
 * The sound of the screens: one three.js AudioListener on the camera (made when the first
 * screen plays, after the visitor has clicked into the hub) and a PositionalAudio per
 * screen fed by its <video>, so a talk is heard from the screen and fades with distance.
 */

import * as THREE from "three";

export class ScreenAudio {
  constructor(camera) {
    this.camera = camera;
    this.listener = null;
  }

  /** Route a video's sound through a positional source on the screen's node. */
  attach(video, object, size) {
    if (!this.listener) {
      this.listener = new THREE.AudioListener();
      this.camera.add(this.listener);
    }
    const sound = new THREE.PositionalAudio(this.listener);
    sound.setMediaElementSource(video);
    sound.panner.panningModel = "equalpower"; // HRTF costs more than a wall screen needs
    sound.setDistanceModel("inverse");
    sound.setRefDistance(Math.max(2, size?.[0] ?? 2));
    sound.setRolloffFactor(1.2);
    object.add(sound);
    return sound;
  }

  /** "running", "suspended" (sound waits for a click) or "none" (no screen has played). */
  get state() {
    return this.listener?.context.state ?? "none";
  }

  /** Start the sound after a click (browsers keep an AudioContext suspended until then). */
  resume() {
    return this.listener ? this.listener.context.resume() : Promise.resolve();
  }
}
