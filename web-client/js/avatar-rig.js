/**
 * The stylised human body, built in code from a small parametric model: the geometry of
 * each body part in its joint's space (torso, hips, head, upper and lower arms and legs,
 * hair styles, eyewear, headwear) and the motion of the joints (walk cycle, idle, head
 * turned and tilted to where someone looks, a raised hand, a wave for a reaction). Parts
 * carry vertex colours (white where the per-person colour shows, fixed tones for shoes,
 * eyes and lenses), so avatars.js can draw every part of everyone as one instanced mesh.
 *
 * Space: the avatar stands at the origin on its feet and faces -Z (three.js yaw 0); +X is
 * its right. The motion is a function of the state only: the same look and speed move the
 * same way everywhere.
 */

import * as THREE from "three";
import { mergeGeometries } from "three/addons/utils/BufferGeometryUtils.js";

export const HIP_Y = 0.92;
export const SHOULDER_Y = 1.4;
export const NECK_Y = 1.46;
const HIP_X = 0.095;
const SHOULDER_X = 0.2;
const UPPER_LEG = 0.44;
const UPPER_ARM = 0.28;
/** Metres walked per full walk cycle (two steps). */
const STRIDE = 1.35;
/** Width of the torso, shoulders and hips per body build. */
export const BUILD_WIDTH = { average: 1, slim: 0.86, broad: 1.2 };

const DARK = [0.13, 0.13, 0.15];
const WHITE = [1, 1, 1];

/** A geometry painted in one vertex colour (rgb 0..1), without uv (not needed). */
function painted(geometry, rgb = WHITE) {
  const g = geometry.index ? geometry.toNonIndexed() : geometry;
  g.deleteAttribute("uv");
  const count = g.attributes.position.count;
  const colours = new Float32Array(count * 3);
  for (let i = 0; i < count; i++) colours.set(rgb, i * 3);
  g.setAttribute("color", new THREE.BufferAttribute(colours, 3));
  return g;
}

function merge(parts) {
  return mergeGeometries(parts.map((p) => (p.attributes.color ? p : painted(p))));
}

/** A limb hanging from its joint at the origin down -Y. */
function limb(radius, length, segments = 6) {
  return new THREE.CapsuleGeometry(radius, Math.max(0.01, length - 2 * radius), 2, segments).translate(0, -length / 2, 0);
}

/** The parts of the near body, each in its joint's space. */
export function partGeometries() {
  const torso = merge([
    new THREE.CylinderGeometry(0.19, 0.155, 0.44, 10, 1).scale(1, 1, 0.62).translate(0, 1.19, 0),
    new THREE.SphereGeometry(0.19, 10, 3, 0, Math.PI * 2, 0, Math.PI / 2).scale(1, 0.45, 0.62).translate(0, 1.41, 0),
  ]);
  const hips = painted(new THREE.CylinderGeometry(0.16, 0.15, 0.16, 10, 1).scale(1, 1, 0.64).translate(0, 0.93, 0));
  const head = merge([
    new THREE.CylinderGeometry(0.05, 0.055, 0.1, 8).translate(0, 0.04, 0),
    new THREE.SphereGeometry(0.118, 12, 9).scale(0.92, 1.1, 1).translate(0, 0.2, 0),
    new THREE.SphereGeometry(0.022, 4, 3).translate(0, 0.19, -0.115),
    new THREE.SphereGeometry(0.024, 4, 3).scale(0.6, 1, 1).translate(0.108, 0.2, 0),
    new THREE.SphereGeometry(0.024, 4, 3).scale(0.6, 1, 1).translate(-0.108, 0.2, 0),
    painted(new THREE.SphereGeometry(0.016, 4, 3).translate(0.04, 0.225, -0.1), DARK),
    painted(new THREE.SphereGeometry(0.016, 4, 3).translate(-0.04, 0.225, -0.1), DARK),
    painted(new THREE.BoxGeometry(0.05, 0.01, 0.01).translate(0, 0.145, -0.107), [0.45, 0.2, 0.2]),
  ]);
  const upperArm = painted(limb(0.052, UPPER_ARM));
  const lowerArm = merge([limb(0.043, 0.25), new THREE.SphereGeometry(0.05, 6, 4).scale(0.8, 1.1, 0.6).translate(0, -0.28, 0)]);
  const upperLeg = painted(limb(0.07, UPPER_LEG + 0.02));
  const lowerLeg = merge([
    limb(0.058, 0.42),
    painted(new THREE.BoxGeometry(0.1, 0.07, 0.24).translate(0, -0.43, -0.05), [0.16, 0.15, 0.15]),
  ]);
  return { torso, hips, head, upperArm, lowerArm, upperLeg, lowerLeg };
}

/** Hair styles, in the head's space. */
export function hairGeometries() {
  const cap = () => new THREE.SphereGeometry(0.128, 10, 5, 0, Math.PI * 2, 0, Math.PI * 0.52).scale(0.95, 1.05, 1.02).translate(0, 0.215, 0.008);
  const back = () => new THREE.SphereGeometry(0.125, 6, 6, 0, Math.PI, 0, Math.PI * 0.8).rotateY(Math.PI / 2).scale(0.95, 1.05, 1.02).translate(0, 0.205, 0.012);
  const curls = [];
  for (let i = 0; i < 8; i++) {
    const a = (i / 8) * Math.PI * 2;
    curls.push(new THREE.SphereGeometry(0.058, 5, 4).translate(Math.cos(a) * 0.095, 0.27 + (i % 2) * 0.02, Math.sin(a) * 0.095 + 0.01));
  }
  curls.push(new THREE.SphereGeometry(0.08, 6, 4).translate(0, 0.31, 0.01));
  return {
    short: merge([cap(), back()]),
    long: merge([cap(), back(), new THREE.BoxGeometry(0.23, 0.3, 0.07).translate(0, 0.08, 0.085), new THREE.BoxGeometry(0.04, 0.22, 0.1).translate(0.11, 0.12, 0.02), new THREE.BoxGeometry(0.04, 0.22, 0.1).translate(-0.11, 0.12, 0.02)]),
    bun: merge([cap(), back(), new THREE.SphereGeometry(0.065, 6, 5).translate(0, 0.32, 0.1)]),
    curly: merge([back(), ...curls]),
  };
}

/** Eyewear, in the head's space (dark frames; sunglasses' lenses dark too). */
export function eyewearGeometries() {
  const ring = (x) => new THREE.TorusGeometry(0.028, 0.005, 4, 12).translate(x, 0.225, -0.118);
  const lens = (x) => new THREE.BoxGeometry(0.062, 0.036, 0.008).translate(x, 0.224, -0.119);
  const bridge = () => new THREE.BoxGeometry(0.03, 0.006, 0.006).translate(0, 0.232, -0.12);
  const arms = () => [new THREE.BoxGeometry(0.005, 0.006, 0.11).translate(0.106, 0.228, -0.065), new THREE.BoxGeometry(0.005, 0.006, 0.11).translate(-0.106, 0.228, -0.065)];
  return {
    glasses: merge([ring(0.045), ring(-0.045), bridge(), ...arms()]),
    sunglasses: merge([lens(0.045), lens(-0.045), bridge(), ...arms()]),
  };
}

/** Headwear, in the head's space: the cap and beanie take the top's colour. */
export function headwearGeometries() {
  const dome = (r, h) => new THREE.SphereGeometry(r, 14, 8, 0, Math.PI * 2, 0, Math.PI / 2).scale(1, h, 1.05);
  return {
    cap: merge([dome(0.132, 0.78).translate(0, 0.245, 0.005), new THREE.CylinderGeometry(0.1, 0.1, 0.012, 12, 1, false, Math.PI / 2, Math.PI).scale(1, 1, 1.3).translate(0, 0.25, -0.085)]),
    beanie: merge([dome(0.136, 1.05).translate(0, 0.235, 0.005), new THREE.TorusGeometry(0.128, 0.02, 5, 16).rotateX(Math.PI / 2).translate(0, 0.245, 0.005), new THREE.SphereGeometry(0.035, 7, 5).translate(0, 0.39, 0.005)]),
    headphones: merge([
      painted(new THREE.TorusGeometry(0.135, 0.014, 5, 16, Math.PI).translate(0, 0.2, 0), [0.2, 0.2, 0.22]),
      painted(new THREE.CylinderGeometry(0.045, 0.045, 0.04, 12).rotateZ(Math.PI / 2).translate(0.12, 0.2, 0), [0.2, 0.2, 0.22]),
      painted(new THREE.CylinderGeometry(0.045, 0.045, 0.04, 12).rotateZ(Math.PI / 2).translate(-0.12, 0.2, 0), [0.2, 0.2, 0.22]),
    ]),
  };
}

/** The far body (one mesh, no joints): torso and legs in the top's colour and dark trousers,
 * and a head in the skin's colour as a second mesh. */
export function farGeometries() {
  const body = merge([
    new THREE.CylinderGeometry(0.19, 0.15, 0.56, 8, 1).scale(1, 1, 0.62).translate(0, 1.16, 0),
    painted(new THREE.CylinderGeometry(0.16, 0.12, 0.88, 8, 1).scale(1, 1, 0.6).translate(0, 0.44, 0), [0.25, 0.27, 0.3]),
  ]);
  const head = new THREE.SphereGeometry(0.125, 8, 6).scale(0.95, 1.1, 1).translate(0, NECK_Y + 0.19, 0);
  return { body, head: painted(head) };
}

/**
 * Move an avatar's joints for this frame. state holds what carries over between frames
 * ({phase, speed, bodyYaw, ...}); input: {x, y, z, yaw, pitch, dt (s), t (s), hand,
 * gesture (0..1 of a running wave, or -1), build}. Writes state.joints: the matrices of the
 * root and every joint, in world space.
 */
export class RigPose {
  constructor(seed = 0) {
    this.phase = 0;
    this.speed = 0;
    this.walk = 0;
    this.bodyYaw = null;
    this.last = null;
    this.seed = seed;
    this.legSwing = 0;
    this.armRaise = 0;
    this.root = new THREE.Matrix4();
    this.torso = new THREE.Matrix4();
    this.head = new THREE.Matrix4();
    this.upperArms = [new THREE.Matrix4(), new THREE.Matrix4()];
    this.lowerArms = [new THREE.Matrix4(), new THREE.Matrix4()];
    this.upperLegs = [new THREE.Matrix4(), new THREE.Matrix4()];
    this.lowerLegs = [new THREE.Matrix4(), new THREE.Matrix4()];
  }

  /** Follow the shown position: the speed the walk is driven by, smoothed. */
  track(x, z, dt) {
    if (this.last && dt > 0) {
      const moved = Math.hypot(x - this.last.x, z - this.last.z);
      // A jump (a door, a correction) is no walk.
      const instant = moved > 1.5 ? 0 : Math.min(6, moved / dt);
      this.speed += (instant - this.speed) * Math.min(1, dt * 6);
    }
    this.last = { x, z };
    if (this.speed < 0.05) this.speed = Math.max(0, this.speed * 0.9);
    this.phase = (this.phase + (dt * this.speed * Math.PI * 2) / STRIDE) % (Math.PI * 2);
    this.walk = Math.min(1, this.speed / 1.1);
  }

  /** The joint matrices for this frame; see the class comment. */
  pose(input) {
    const { x, y, z, yaw, pitch = 0, dt, t, hand, gesture, build = 1 } = input;
    this.track(x, z, dt);
    const walk = this.walk;
    const turnRate = walk > 0.2 ? 10 : 2.5;
    if (this.bodyYaw === null) this.bodyYaw = yaw;
    const lag = Math.atan2(Math.sin(yaw - this.bodyYaw), Math.cos(yaw - this.bodyYaw));
    const step = Math.min(Math.abs(lag), Math.max(Math.abs(lag) - 0.9, dt * turnRate));
    this.bodyYaw += Math.sign(lag) * step;
    const headYaw = Math.atan2(Math.sin(yaw - this.bodyYaw), Math.cos(yaw - this.bodyYaw));

    const idle = t * 1.7 + this.seed;
    const bob = walk * 0.035 * Math.abs(Math.cos(this.phase));
    root.makeRotationY(this.bodyYaw).setPosition(x, y + bob, z);
    this.root.copy(root);
    // breathing: the chest rises a little
    this.torso.copy(root).multiply(m.makeScale(build, 1 + 0.012 * Math.sin(idle) * (1 - walk), 1));

    euler.set(Math.max(-0.6, Math.min(0.6, pitch)) * 0.8, headYaw, walk * 0.04 * Math.sin(this.phase), "YXZ");
    this.head.copy(root).multiply(m.makeTranslation(0, NECK_Y - 0.02 + 0.004 * Math.sin(idle), 0)).multiply(m2.makeRotationFromEuler(euler));

    for (let i = 0; i < 2; i++) {
      const side = i === 0 ? -1 : 1; // left, right
      const legPhase = this.phase + (side < 0 ? Math.PI : 0);
      const hip = 0.5 * walk * Math.sin(legPhase);
      const knee = -walk * (0.15 + 0.65 * Math.max(0, Math.cos(legPhase)));
      if (side > 0) this.legSwing = hip;
      this.upperLegs[i].copy(root).multiply(m.makeTranslation(side * HIP_X * build, HIP_Y, 0)).multiply(m2.makeRotationX(hip));
      this.lowerLegs[i].copy(this.upperLegs[i]).multiply(m.makeTranslation(0, -UPPER_LEG, 0)).multiply(m2.makeRotationX(knee));

      let shoulder = -0.45 * walk * Math.sin(legPhase) + 0.03 * Math.sin(idle + i);
      let spread = side * (0.08 + 0.03 * (build - 1));
      let elbow = 0.15 + 0.35 * walk;
      let twist = 0;
      if (side > 0 && hand) {
        shoulder = 2.95;
        spread = side * 0.18;
        elbow = 0.12;
      } else if (side > 0 && gesture >= 0) {
        // a wave: the arm goes up, the forearm swings side to side
        const up = Math.min(1, Math.min(gesture, 1 - gesture) * 6);
        shoulder = shoulder + (2.5 - shoulder) * up;
        spread = side * (0.08 + 0.35 * up);
        elbow = 0.2 + 0.2 * up;
        twist = up * 0.55 * Math.sin(gesture * Math.PI * 10);
      }
      if (side > 0) this.armRaise = shoulder;
      this.upperArms[i].copy(root).multiply(m.makeTranslation(side * SHOULDER_X * build, SHOULDER_Y, 0)).multiply(m2.makeRotationZ(spread)).multiply(m2.makeRotationX(shoulder));
      this.lowerArms[i].copy(this.upperArms[i]).multiply(m.makeTranslation(0, -UPPER_ARM, 0)).multiply(m2.makeRotationX(elbow)).multiply(m2.makeRotationZ(twist));
    }
    return this;
  }
}

const root = new THREE.Matrix4();
const m = new THREE.Matrix4();
const m2 = new THREE.Matrix4();
const euler = new THREE.Euler();
