/**
 * The other people in the room as stylised human bodies (avatar-rig.js): every body part of
 * everyone is one instanced mesh (torso, hips, head, arms, legs, each hair style, eyewear,
 * headwear), moved per joint each frame from the interpolated pose (PoseBuffer,
 * interpolation.js): a walk driven by the speed shown, idle breathing, the head turned and
 * tilted to where someone looks, a raised arm for a raised hand and a wave for a reaction.
 * Beyond FAR_DISTANCE a person is a simpler body without joints (two instanced meshes), so a
 * crowd of hundreds costs a fixed number of draw calls and few matrices. The name tags
 * (nametags.js) and soft blob shadows on the floor come along. The visitor's own body joins
 * in when seen from behind (setSelf).
 */

import * as THREE from "three";
import { HAIR_COLOURS, SKIN_TONES, normaliseLook } from "./avatar-look.js";
import {
  BUILD_WIDTH,
  RigPose,
  eyewearGeometries,
  farGeometries,
  hairGeometries,
  headwearGeometries,
  partGeometries,
} from "./avatar-rig.js";
import { PoseBuffer } from "./interpolation.js";
import { NameTags } from "./nametags.js";

const INITIAL_CAPACITY = 32;
const TAG_HEIGHT = 2.05;
const TAG_DISTANCE = 30;
/** Beyond this distance from the camera (m) a person is drawn as the simple body. */
export const FAR_DISTANCE = 15;
const SPEAKING_MS = 4000;
const GESTURE_MS = 1800;
/** How fast the delay an avatar is drawn with may change, per millisecond drawn: shrinking
 * (it then moves at most 10 % fast) and growing (at most half as fast, never backwards). */
const DELAY_CATCH_UP = 0.1;
const DELAY_FALL_BACK = 0.5;
const SELF = "self";

/** A round, soft shadow texture (drawn once). */
function blobTexture() {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 64;
  const ctx = canvas.getContext("2d");
  const gradient = ctx.createRadialGradient(32, 32, 4, 32, 32, 32);
  gradient.addColorStop(0, "rgba(0, 0, 0, 0.55)");
  gradient.addColorStop(1, "rgba(0, 0, 0, 0)");
  ctx.fillStyle = gradient;
  ctx.fillRect(0, 0, 64, 64);
  return new THREE.CanvasTexture(canvas);
}

/** One instanced mesh: a body part of everyone, refilled every frame. */
class Part {
  constructor(group, geometry, material, name, perAvatar = 1) {
    this.group = group;
    this.geometry = geometry;
    this.material = material;
    this.name = name;
    this.perAvatar = perAvatar;
    this.count = 0;
    this.mesh = null;
    this.resize(INITIAL_CAPACITY);
  }

  resize(avatars) {
    const capacity = avatars * this.perAvatar;
    if (this.mesh && this.mesh.instanceMatrix.count >= capacity) return;
    if (this.mesh) {
      this.group.remove(this.mesh);
      this.mesh.dispose();
    }
    this.mesh = new THREE.InstancedMesh(this.geometry, this.material, capacity);
    this.mesh.count = 0;
    this.mesh.frustumCulled = false;
    this.mesh.name = this.name;
    this.group.add(this.mesh);
  }

  add(matrix, colour) {
    const n = this.count++;
    this.mesh.setMatrixAt(n, matrix);
    if (colour) this.mesh.setColorAt(n, colour);
  }

  finish() {
    this.mesh.count = this.count;
    this.mesh.instanceMatrix.needsUpdate = true;
    if (this.mesh.instanceColor) this.mesh.instanceColor.needsUpdate = true;
    this.count = 0;
  }
}

function hashOf(id) {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) | 0;
  return (h >>> 0) / 4294967296;
}

/** Everyone else in the room, drawn and moved smoothly. options.tags: false for a preview. */
export class AvatarCrowd {
  constructor(scene, tickMs = 50, options = {}) {
    this.scene = scene;
    this.tickMs = tickMs;
    this.avatars = new Map();
    this.self = null;
    this.capacity = INITIAL_CAPACITY;
    this.group = new THREE.Group();
    this.group.name = "avatars";
    scene.add(this.group);
    /** (session) => whether their voice is heard right now (voice.js), or null */
    this.voiceSpeaking = null;

    const material = new THREE.MeshLambertMaterial({ vertexColors: true });
    const g = this.group;
    const parts = partGeometries();
    this.torso = new Part(g, parts.torso, material, "avatar-torso");
    this.hips = new Part(g, parts.hips, material, "avatar-hips");
    this.head = new Part(g, parts.head, material, "avatar-head");
    this.upperArm = new Part(g, parts.upperArm, material, "avatar-upper-arms", 2);
    this.lowerArm = new Part(g, parts.lowerArm, material, "avatar-lower-arms", 2);
    this.upperLeg = new Part(g, parts.upperLeg, material, "avatar-upper-legs", 2);
    this.lowerLeg = new Part(g, parts.lowerLeg, material, "avatar-lower-legs", 2);
    const named = (geometries, prefix) =>
      new Map(Object.entries(geometries).map(([name, geometry]) => [name, new Part(g, geometry, material, `${prefix}-${name}`)]));
    this.hair = named(hairGeometries(), "avatar-hair");
    this.eyewear = named(eyewearGeometries(), "avatar-eyewear");
    this.headwear = named(headwearGeometries(), "avatar-headwear");
    const far = farGeometries();
    this.farBody = new Part(g, far.body, material, "avatar-far-bodies");
    this.farHead = new Part(g, far.head, material, "avatar-far-heads");
    const blob = new THREE.PlaneGeometry(1.1, 1.1).rotateX(-Math.PI / 2).translate(0, 0.02, 0);
    const blobMaterial = new THREE.MeshBasicMaterial({ map: blobTexture(), transparent: true, depthWrite: false });
    this.shadows = new Part(g, blob, blobMaterial, "avatar-shadows");
    this.shadows.mesh.renderOrder = 1;
    this.parts = [
      this.torso, this.hips, this.head, this.upperArm, this.lowerArm, this.upperLeg, this.lowerLeg,
      ...this.hair.values(), ...this.eyewear.values(), ...this.headwear.values(),
      this.farBody, this.farHead, this.shadows,
    ];
    this.tags = options.tags === false ? null : new NameTags(scene);

    this.matrix = new THREE.Matrix4();
    this.scaleMatrix = new THREE.Matrix4();
    this.point = new THREE.Vector3();
    this.pose = { x: 0, y: 0, z: 0, yaw: 0, pitch: 0 };
    this.lastUpdate = null;
  }

  /** Add someone or update how they look: {name, role, look} (look: avatar-look.js). */
  upsert(id, person) {
    let avatar = this.avatars.get(id);
    if (!avatar) {
      avatar = this.makeAvatar(id);
      this.avatars.set(id, avatar);
    }
    avatar.name = person.name ?? avatar.name ?? "";
    avatar.role = person.role ?? avatar.role ?? "visitor";
    if (person.look) this.setLook(avatar, person.look);
    return avatar;
  }

  makeAvatar(id) {
    const avatar = { id, buffer: new PoseBuffer(this.tickMs), hand: false, speakingUntil: 0, shown: null, gestureAt: -Infinity };
    avatar.rig = new RigPose(hashOf(id) * 100);
    this.setLook(avatar, null);
    return avatar;
  }

  setLook(avatar, look) {
    avatar.look = normaliseLook(look);
    avatar.colour = avatar.look.colour;
    avatar.colours = {
      top: new THREE.Color(avatar.look.colour),
      legs: new THREE.Color(avatar.look.legs),
      skin: new THREE.Color(SKIN_TONES[avatar.look.skin]),
      hair: new THREE.Color(HAIR_COLOURS[avatar.look.hairColour]),
      dark: new THREE.Color("#222428"),
    };
  }

  /** Change someone's look (the look message). */
  restyle(id, look) {
    const avatar = this.avatars.get(id);
    if (avatar) this.setLook(avatar, look);
  }

  /**
   * The visitor's own body, drawn when seen from behind: pose {x, y, z, yaw, pitch, hand,
   * speaking} each frame, or null to hide it; look when it changed.
   */
  setSelf(pose, look = null) {
    if (!this.self) this.self = this.makeAvatar(SELF);
    if (look) this.setLook(this.self, look);
    this.self.selfPose = pose;
    if (!pose) {
      this.self.shown = null;
      this.self.rig.last = null;
      return;
    }
    this.self.hand = Boolean(pose.hand);
  }

  remove(id) {
    this.avatars.delete(id);
    this.tags?.release(id);
  }

  clear() {
    for (const id of [...this.avatars.keys()]) this.remove(id);
  }

  has(id) {
    return this.avatars.has(id);
  }

  /** A pose from the server at server time t (ms); see PoseBuffer.push. */
  pushPose(id, t, x, y, z, yaw, snap, pitch = 0) {
    const avatar = this.avatars.get(id);
    if (!avatar) return;
    avatar.buffer.push(t, x, y, z, yaw, snap, pitch);
    avatar.received = { x, z, wall: Date.now() };
  }

  setHand(id, raised) {
    const avatar = this.avatars.get(id);
    if (avatar) avatar.hand = Boolean(raised);
  }

  /** Someone wrote in the chat: show the speech bubble for a few seconds. */
  spoke(id) {
    const avatar = this.avatars.get(id);
    if (avatar) avatar.speakingUntil = performance.now() + SPEAKING_MS;
  }

  /** Someone reacted: show the emoji on their tag for a few seconds, and they wave. */
  react(id, emoji) {
    const avatar = id === SELF ? this.self : this.avatars.get(id);
    if (!avatar) return;
    const now = performance.now();
    avatar.reaction = { emoji, until: now + SPEAKING_MS };
    avatar.gestureAt = now;
  }

  /** The visitor reacted: their own body waves too (seen from behind). */
  reactSelf(emoji) {
    if (this.self) this.react(SELF, emoji);
  }

  /**
   * Where an avatar is shown now ({x, y, z, yaw, at, wall}: at is the frame's
   * performance.now(), wall its Date.now()) or null.
   */
  shownPose(id) {
    return this.avatars.get(id)?.shown ?? null;
  }

  ensureCapacity(count) {
    if (count <= this.capacity) return;
    while (this.capacity < count) this.capacity *= 2;
    for (const part of this.parts) part.resize(this.capacity);
  }

  /** Move every avatar to where it was shortly before server time serverNow; lay out tags. */
  update(serverNow, camera) {
    this.ensureCapacity(this.avatars.size + 1);
    const now = performance.now();
    const wall = Date.now();
    const dt = this.lastUpdate === null ? 0 : Math.min(0.25, (now - this.lastUpdate) / 1000);
    this.lastUpdate = now;
    const tagged = [];
    for (const avatar of this.avatars.values()) {
      // Shown a little in the past, so there is nearly always a newer update to move toward.
      const delayMs = shownDelay(avatar, now);
      if (!avatar.buffer.sample(serverNow - delayMs, this.pose)) continue;
      const { x, y, z, yaw, pitch } = this.pose;
      const speaking = avatar.speakingUntil > now;
      const voice = Boolean(this.voiceSpeaking?.(avatar.id));
      const distance = camera.position.distanceTo(this.point.set(x, y + 1.5, z));
      const anim = this.draw(avatar, { x, y, z, yaw, pitch, voice }, distance, dt, now);
      avatar.shown = {
        x, y, z, yaw, pitch, at: now, wall, speaking, voice, hand: avatar.hand,
        received: avatar.received, delayMs, look: { ...avatar.look }, anim,
      };

      if (this.tags && distance < TAG_DISTANCE) {
        const emoji = avatar.reaction && avatar.reaction.until > now ? avatar.reaction.emoji : "";
        this.tags.paint(avatar.id, { name: avatar.name, colour: avatar.colour, hand: avatar.hand, speaking, voice, emoji });
        tagged.push({ key: avatar.id, x, y: y + TAG_HEIGHT, z, distance });
      }
    }
    const self = this.self;
    if (self?.selfPose) {
      const p = self.selfPose;
      const distance = camera.position.distanceTo(this.point.set(p.x, p.y + 1.5, p.z));
      const anim = this.draw(self, p, distance, dt, now, true);
      self.shown = { x: p.x, y: p.y, z: p.z, yaw: p.yaw, pitch: p.pitch, at: now, wall, hand: self.hand, look: { ...self.look }, anim };
    }
    for (const part of this.parts) part.finish();
    if (this.tags) {
      tagged.sort((a, b) => a.distance - b.distance);
      this.tags.place(tagged);
    }
  }

  /** Fill one person's body parts for this frame; returns the animation state shown. */
  draw(avatar, pose, distance, dt, now, near = false) {
    const { colours, look, rig } = avatar;
    const build = BUILD_WIDTH[look.shape] ?? 1;
    const sinceGesture = now - avatar.gestureAt;
    const gesture = sinceGesture < GESTURE_MS ? sinceGesture / GESTURE_MS : -1;
    // a speaker nods a little with their words
    const pitch = (pose.pitch ?? 0) + (pose.voice ? 0.06 * Math.sin(now / 90) : 0);
    rig.pose({ x: pose.x, y: pose.y, z: pose.z, yaw: pose.yaw, pitch, dt, t: now / 1000, hand: avatar.hand, gesture, build });
    this.matrix.copy(rig.root);
    this.shadows.add(this.matrix, null);
    const lod = near || distance < FAR_DISTANCE ? "near" : "far";
    if (lod === "far") {
      this.scaleMatrix.makeScale(build, 1, 1);
      this.farBody.add(this.matrix.multiply(this.scaleMatrix), colours.top);
      this.farHead.add(rig.root, colours.skin);
    } else {
      this.torso.add(rig.torso, colours.top);
      this.scaleMatrix.makeScale(build, 1, 1);
      this.hips.add(this.matrix.copy(rig.root).multiply(this.scaleMatrix), colours.legs);
      this.head.add(rig.head, colours.skin);
      for (let i = 0; i < 2; i++) {
        this.upperArm.add(rig.upperArms[i], colours.top);
        this.lowerArm.add(rig.lowerArms[i], colours.skin);
        this.upperLeg.add(rig.upperLegs[i], colours.legs);
        this.lowerLeg.add(rig.lowerLegs[i], colours.legs);
      }
      const covered = look.headwear === "cap" || look.headwear === "beanie";
      const hair = this.hair.get(covered && look.hair !== "long" ? "none" : look.hair);
      hair?.add(rig.head, colours.hair);
      this.eyewear.get(look.eyewear)?.add(rig.head, colours.dark);
      this.headwear.get(look.headwear)?.add(rig.head, colours.top);
    }
    return {
      lod, speed: rig.speed, walk: rig.walk, phase: rig.phase, legSwing: rig.legSwing,
      armRaise: rig.armRaise, gesture, bodyYaw: rig.bodyYaw,
    };
  }
}

/** How far behind an avatar is drawn this frame: its buffer's delay, reached gradually.
 * The buffer's delay follows how far apart updates come and can drop by a hundred
 * milliseconds when several queued updates are read at once (a busy page); taken at once
 * that would fast-forward the avatar, a visible jump. */
function shownDelay(avatar, now) {
  const target = avatar.buffer.delayMs;
  const last = avatar.delayFrame;
  avatar.delayFrame = now;
  if (avatar.delayShown === undefined || last === undefined) {
    avatar.delayShown = target;
    return target;
  }
  const elapsed = Math.max(0, now - last);
  const delay = target < avatar.delayShown
    ? Math.max(target, avatar.delayShown - DELAY_CATCH_UP * elapsed)
    : Math.min(target, avatar.delayShown + DELAY_FALL_BACK * elapsed);
  avatar.delayShown = delay;
  return delay;
}
