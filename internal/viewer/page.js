// protolab's space-time viewer. The model (package viewer's Model) is in the
// page as JSON; this script only draws it, on a canvas, and only what is in
// view: events and messages are sorted by time and found by binary search, and
// at most one mark per pixel per lane is drawn, so a run of 100,000 events
// stays responsive.
(function () {
  "use strict";
  const t0Load = performance.now();
  const M = JSON.parse(document.getElementById("data").textContent);
  const arr = (a) => a || [];
  const EV = { t: arr(M.ev.t), lane: arr(M.ev.lane), kind: arr(M.ev.kind), text: arr(M.ev.text) };
  const MS = {
    t0: arr(M.msg.t0), t1: arr(M.msg.t1), from: arr(M.msg.from), to: arr(M.msg.to), reply: arr(M.msg.reply),
    drop: arr(M.msg.drop), method: arr(M.msg.method), bytes: arr(M.msg.bytes), maxdur: M.msg.maxdur || 0,
  };
  const SP = { lane: arr(M.spans.lane), t0: arr(M.spans.t0), t1: arr(M.spans.t1), kind: arr(M.spans.kind) };
  const ST = { lane: arr(M.states.lane), t0: arr(M.states.t0), t1: arr(M.states.t1), label: arr(M.states.label), color: arr(M.states.color) };
  const PARTS = arr(M.parts);
  const WM = { t: arr(M.world && M.world.t), kind: arr(M.world && M.world.kind), text: arr(M.world && M.world.text) };
  const BL = { lane: arr(M.blames && M.blames.lane), t0: arr(M.blames && M.blames.t0), t1: arr(M.blames && M.blames.t1), text: arr(M.blames && M.blames.text) };
  const LANES = M.lanes;
  const NL = LANES.length;
  const END = Math.max(M.end, 1);

  // Each lane's run of states (they are sorted by lane, then time).
  const stateFrom = new Int32Array(NL + 1).fill(-1), stateTo = new Int32Array(NL + 1).fill(-1);
  for (let i = 0; i < ST.lane.length; i++) {
    const l = ST.lane[i];
    if (stateFrom[l] < 0) stateFrom[l] = i;
    stateTo[l] = i + 1;
  }

  const GUTTER = 86, AXIS = 26;
  const LANE_H = NL > 30 ? 18 : NL > 14 ? 26 : 34;
  const main = document.getElementById("main"), ctx = main.getContext("2d");
  const over = document.getElementById("overview"), octx = over.getContext("2d");
  const dpr = window.devicePixelRatio || 1;
  let W = 800, H = AXIS + NL * LANE_H + 8;
  const view = { t0: 0, ns: 1 }; // ns of virtual time per css pixel
  let selected = null; // {type: "ev"|"msg", i}
  let drawn = { events: 0, arrows: 0, ms: 0 };

  // Colours.
  const KIND = {
    send: "#3566c8", recv: "#3566c8", reply: "#2f9a58", lost: "#d3312f", drop: "#d3312f", log: "#7d8494",
    start: "#2f9a58", crash: "#111", fault: "#e07b00", note: "#6b4fbb", proc: "#a5abb8", timer: "#c8ccd6",
  };
  const STATE = {
    leader: "#f2b233", candidate: "#e5735f", follower: "#8fb3e8", proposer: "#f2b233", acceptor: "#8fb3e8",
    learner: "#9fd4a8", alive: "#9fd4a8", suspect: "#f2b233", dead: "#b0b4bf", joining: "#c6b3ea",
    started: "#d9dde5",
  };
  const PALETTE = ["#8fb3e8", "#f2b233", "#9fd4a8", "#e5735f", "#c6b3ea", "#7fd1d1", "#e9a3c9", "#c9b48a"];
  function stateColour(v) {
    if (STATE[v]) return STATE[v];
    let h = 0;
    for (let i = 0; i < v.length; i++) h = (h * 31 + v.charCodeAt(i)) >>> 0;
    return PALETTE[h % PALETTE.length];
  }
  // Partition sides: A, B, C, D, each a colour, strong for the stripe and
  // the badge, light for the tint.
  const SIDE = ["#3566c8", "#d06a00", "#2f9a58", "#6b4fbb"];
  const SIDE_TINT = ["rgba(53,102,200,0.14)", "rgba(224,123,0,0.16)", "rgba(47,154,88,0.15)", "rgba(107,79,187,0.15)"];
  const sideName = (g) => String.fromCharCode(65 + ((g - 1) % 26));

  // Binary search: the first index i with a[i] >= x.
  function lowerBound(a, x) {
    let lo = 0, hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid] < x) lo = mid + 1; else hi = mid;
    }
    return lo;
  }
  const xOf = (t) => GUTTER + (t - view.t0) / view.ns;
  const tOf = (x) => view.t0 + (x - GUTTER) * view.ns;
  const laneY = (l) => AXIS + l * LANE_H + LANE_H / 2;

  // fmtTime writes a time in the unit that suits step (or the time itself),
  // with as many decimals as step needs.
  function fmtTime(ns, step) {
    const a = Math.abs(step || ns) || 1;
    const [unit, name] = a >= 1e9 ? [1e9, "s"] : a >= 1e6 ? [1e6, "ms"] : [1e3, "µs"];
    const decimals = step ? Math.max(0, Math.min(6, -Math.floor(Math.log10(step / unit) + 1e-9))) : 3;
    return (ns / unit).toFixed(decimals) + name;
  }

  // fmtExact writes a time as the trace does: seconds, to the microsecond.
  const fmtExact = (ns) => (ns / 1e9).toFixed(6) + "s";

  function resize() {
    W = Math.max(300, document.documentElement.clientWidth);
    for (const [c, h] of [[main, H], [over, 34]]) {
      c.width = Math.round(W * dpr);
      c.height = Math.round(h * dpr);
      c.style.width = W + "px";
      c.style.height = h + "px";
      c.getContext("2d").setTransform(dpr, 0, 0, dpr, 0, 0);
    }
    overviewImage = null;
  }
  function fit() {
    view.ns = Math.max(END * 1.02 / (W - GUTTER - 10), 1e-3);
    view.t0 = -END * 0.01;
  }
  function clampView() {
    const span = (W - GUTTER) * view.ns;
    const maxSpan = END * 1.5 + 1e6;
    if (span > maxSpan) view.ns = maxSpan / (W - GUTTER);
    view.ns = Math.max(view.ns, 0.05); // 20 px per ns at most
    const s = (W - GUTTER) * view.ns;
    view.t0 = Math.min(Math.max(view.t0, -s * 0.5), END - s * 0.5);
  }
  function zoom(factor, x) {
    const t = tOf(x === undefined ? GUTTER + (W - GUTTER) / 2 : x);
    view.ns *= factor;
    clampView();
    view.t0 = t - ((x === undefined ? GUTTER + (W - GUTTER) / 2 : x) - GUTTER) * view.ns;
    clampView();
    request();
  }
  function pan(dx) {
    view.t0 += dx * view.ns;
    clampView();
    request();
  }

  let pending = false;
  function request() {
    if (!pending) {
      pending = true;
      requestAnimationFrame(() => { pending = false; draw(); });
    }
  }

  function draw() {
    const start = performance.now();
    const t1v = tOf(W);
    ctx.clearRect(0, 0, W, H);
    ctx.font = "11px system-ui, sans-serif";
    ctx.textBaseline = "middle";

    // Lanes.
    for (let l = 0; l < NL; l++) {
      const y = AXIS + l * LANE_H;
      ctx.fillStyle = l === M.focus ? "#fff4d6" : l % 2 ? "#f4f6fa" : "#fff";
      ctx.fillRect(0, y, W, LANE_H);
    }
    // Partitions: each side tinted, with a stripe along the top of its
    // lanes and a badge (A, B, ...) at the start and every few hundred
    // pixels, so that which side a node is on shows wherever one looks.
    const badges = []; // drawn on top of the messages, below
    for (const p of PARTS) {
      if (p.t1 < view.t0 || p.t0 > t1v) continue;
      const x0 = Math.max(GUTTER, xOf(p.t0)), x1 = Math.min(W, xOf(p.t1));
      for (let l = 0; l < NL; l++) {
        const g = p.groups[l];
        if (!g) continue;
        const y = AXIS + l * LANE_H, k = (g - 1) % SIDE.length;
        ctx.fillStyle = SIDE_TINT[k];
        ctx.fillRect(x0, y, Math.max(1, x1 - x0), LANE_H);
        ctx.fillStyle = SIDE[k];
        ctx.fillRect(x0, y + 1, Math.max(1, x1 - x0), 3);
        if (x1 - x0 >= 22) {
          for (let x = x0 + 3; x + 16 <= x1; x += 360) badges.push([x, y + 6, sideName(g), SIDE[k]]);
        }
      }
      ctx.fillStyle = "#e07b00";
      ctx.fillRect(x0, AXIS, 1.5, NL * LANE_H);
    }
    // Crashes, pauses and disconnections.
    for (let i = 0; i < SP.t0.length; i++) {
      if (SP.t1[i] < view.t0 || SP.t0[i] > t1v) continue;
      const x0 = Math.max(GUTTER, xOf(SP.t0[i])), x1 = Math.min(W, xOf(SP.t1[i])), y = AXIS + SP.lane[i] * LANE_H;
      if (SP.kind[i] === "down") {
        ctx.fillStyle = "rgba(40,40,48,0.22)";
        ctx.fillRect(x0, y + 2, Math.max(1, x1 - x0), LANE_H - 4);
        if (x1 - x0 > 40) { ctx.fillStyle = "#333"; ctx.fillText("down", x0 + 4, y + LANE_H / 2); }
      } else if (SP.kind[i] === "paused") {
        ctx.fillStyle = "rgba(120,80,200,0.16)";
        ctx.fillRect(x0, y + 2, Math.max(1, x1 - x0), LANE_H - 4);
        if (x1 - x0 > 50) { ctx.fillStyle = "#4b3396"; ctx.fillText("paused", x0 + 4, y + LANE_H / 2); }
      } else {
        ctx.fillStyle = "rgba(211,49,47,0.13)";
        ctx.fillRect(x0, y + 1, Math.max(1, x1 - x0), LANE_H - 2);
        if (x1 - x0 > 70) { ctx.fillStyle = "#a02020"; ctx.fillText("cut off", x0 + 4, y + 7); }
      }
    }
    // Protocol states: a band along the bottom of the lane, with its label.
    for (let l = 1; l < NL; l++) {
      if (stateFrom[l] < 0) continue;
      // States of a lane do not overlap, so their ends are sorted too.
      let i, lo = stateFrom[l], hi = stateTo[l];
      while (lo < hi) { const mid = (lo + hi) >>> 1; if (ST.t1[mid] < view.t0) lo = mid + 1; else hi = mid; }
      for (i = lo; i < stateTo[l] && ST.t0[i] <= t1v; i++) {
        const x0 = Math.max(GUTTER, xOf(ST.t0[i])), x1 = Math.min(W, xOf(ST.t1[i]));
        const y = AXIS + l * LANE_H;
        ctx.fillStyle = stateColour(ST.color[i]);
        ctx.fillRect(x0, y + LANE_H - 8, Math.max(1, x1 - x0), 6);
        if (x1 - x0 > 90 && LANE_H >= 26) {
          ctx.fillStyle = "#444";
          ctx.save();
          ctx.beginPath(); ctx.rect(x0, y, x1 - x0 - 2, LANE_H); ctx.clip();
          ctx.fillText(ST.label[i], x0 + 3, y + 8);
          ctx.restore();
        }
      }
    }

    // Messages.
    let arrows = 0;
    const first = lowerBound(MS.t0, view.t0 - MS.maxdur);
    const last = lowerBound(MS.t0, t1v + 1);
    const dense = last - first > 4000;
    const lastX0 = dense ? new Int32Array(NL * NL).fill(-1e9) : null;
    const lastX1 = dense ? new Int32Array(NL * NL).fill(-1e9) : null;
    ctx.lineWidth = 1;
    for (let i = first; i < last; i++) {
      if (MS.t1[i] < view.t0) continue;
      const from = MS.from[i], to = MS.to[i];
      let x0 = xOf(MS.t0[i]), x1 = xOf(MS.t1[i]);
      if (dense) {
        const k = from * NL + to, a = Math.round(x0), b = Math.round(x1);
        if (lastX0[k] === a && lastX1[k] === b) continue;
        lastX0[k] = a; lastX1[k] = b;
      }
      drawArrow(i, x0, x1, laneY(from), laneY(to), false);
      arrows++;
    }
    // Events: at most one mark per pixel per lane.
    let events = 0;
    const e0 = lowerBound(EV.t, view.t0 - view.ns * 4), e1 = lowerBound(EV.t, t1v + view.ns * 4);
    const lastPx = new Int32Array(NL).fill(-1e9);
    for (let i = e0; i < e1; i++) {
      const l = EV.lane[i], x = Math.round(xOf(EV.t[i]));
      const k = EV.kind[i];
      const important = k === "crash" || k === "start" || k === "fault" || k === "note";
      if (lastPx[l] === x && !important) continue;
      lastPx[l] = x;
      drawEvent(i, x, laneY(l));
      events++;
    }
    for (const [x, y, letter, colour] of badges) badge(x, y, letter, colour);

    // Operations a linearizability checker blamed, on top: a red box on
    // the client's lane, from the call to the return, with what it was.
    let blames = 0;
    for (let i = 0; i < BL.t0.length; i++) {
      if (BL.t1[i] < view.t0 || BL.t0[i] > t1v) continue;
      const x0 = Math.max(GUTTER, xOf(BL.t0[i])), x1 = Math.min(W, Math.max(xOf(BL.t1[i]), xOf(BL.t0[i]) + 3));
      const y = AXIS + BL.lane[i] * LANE_H;
      ctx.fillStyle = "rgba(211,49,47,0.16)";
      ctx.fillRect(x0, y + 2, x1 - x0, LANE_H - 4);
      ctx.strokeStyle = "#d3312f";
      ctx.lineWidth = 2;
      ctx.strokeRect(x0, y + 2, x1 - x0, LANE_H - 4);
      ctx.lineWidth = 1;
      ctx.save();
      ctx.font = "bold 11px system-ui, sans-serif";
      const text = "✗ " + BL.text[i], tw = Math.min(ctx.measureText(text).width, 420, W - x0 - 8);
      ctx.fillStyle = "rgba(255,255,255,0.9)";
      ctx.fillRect(x0 + 2, y + LANE_H / 2 - 7, tw + 4, 14);
      ctx.fillStyle = "#a01818";
      ctx.fillText(text, x0 + 4, y + LANE_H / 2, Math.max(40, tw));
      ctx.restore();
      blames++;
    }


    // The world's lane: its notes and faults labelled. A demo's acts come
    // first (each up to the next act, with a line across every lane); the
    // other marks get the room left, each up to the next mark; marks at one
    // pixel share a label ("(+3)").
    let worldLabels = 0;
    {
      const w0 = lowerBound(WM.t, view.t0 - view.ns * 2000), w1 = lowerBound(WM.t, t1v + 1);
      const isAct = (i) => /^act \d+/.test(WM.text[i]);
      const isFail = (i) => WM.text[i].startsWith("FAIL: ");
      const taken = []; // [x0, x1] of the act labels drawn
      const label = (i, x, room, extra) => {
        const text = WM.text[i] + (extra ? "  (+" + extra + ")" : "");
        const act = isAct(i), fail = WM.text[i].startsWith("FAIL: ");
        ctx.save();
        ctx.font = (act || fail ? "bold " : "") + "11px system-ui, sans-serif";
        const w = Math.min(ctx.measureText(text).width, room);
        const lx = Math.max(GUTTER + 2, x + 8);
        ctx.beginPath(); ctx.rect(lx, AXIS, Math.max(0, x + 8 + room - lx), LANE_H); ctx.clip();
        if (act) { ctx.fillStyle = "rgba(255,255,255,0.85)"; ctx.fillRect(lx - 2, AXIS + 4, w + 4, LANE_H - 8); }
        ctx.fillStyle = fail ? "#c0201e" : WM.kind[i] === "fault" ? "#b35f00" : act ? "#4b3396" : "#5b5f6b";
        ctx.fillText(text, x + 8, laneY(0));
        ctx.restore();
        worldLabels++;
        return w;
      };
      const acts = [];
      for (let i = 0; i < WM.t.length; i++) if (isAct(i)) acts.push(i);
      for (let k = 0; k < acts.length; k++) {
        const i = acts[k], x = xOf(WM.t[i]);
        const next = k + 1 < acts.length ? xOf(WM.t[acts[k + 1]]) : W + 1e6;
        if (next < GUTTER || x > W) continue;
        if (x >= GUTTER) {
          ctx.strokeStyle = "rgba(107,79,187,0.55)";
          ctx.setLineDash([3, 4]);
          ctx.beginPath(); ctx.moveTo(x + 0.5, AXIS + LANE_H); ctx.lineTo(x + 0.5, AXIS + NL * LANE_H); ctx.stroke();
          ctx.setLineDash([]);
        }
        const room = Math.min(next, W) - x - 14;
        if (room < 24) continue;
        const w = label(i, x, room, 0);
        taken.push([Math.max(GUTTER, x), Math.max(GUTTER, x) + w + 14]);
      }
      // The failure: on the right of its mark, or on its left when the run
      // ends there.
      for (let i = 0; i < WM.t.length; i++) {
        if (!isFail(i)) continue;
        const x = xOf(WM.t[i]);
        if (x < GUTTER || x > W) continue;
        ctx.save();
        ctx.font = "bold 11px system-ui, sans-serif";
        const text = WM.text[i], tw = Math.min(ctx.measureText(text).width, x - GUTTER - 16, 700);
        const right = W - x - 20 >= Math.min(ctx.measureText(text).width, 300);
        const lx = right ? x + 10 : x - 10 - tw;
        const w = right ? Math.min(ctx.measureText(text).width, W - x - 20) : tw;
        ctx.fillStyle = "rgba(255,255,255,0.92)";
        ctx.fillRect(lx - 2, AXIS + 4, w + 4, LANE_H - 8);
        ctx.beginPath(); ctx.rect(lx, AXIS, w, LANE_H); ctx.clip();
        ctx.fillStyle = "#c0201e";
        ctx.fillText(text, lx, laneY(0));
        ctx.restore();
        taken.push([lx - 10, lx + w + 10]);
        worldLabels++;
      }
      for (let i = w0; i < w1;) {
        let j = i + 1;
        while (j < WM.t.length && xOf(WM.t[j]) - xOf(WM.t[i]) < 2 && j < i + 200) j++;
        // The group's label: an act's is drawn already; else a failure,
        // else a fault, else the first.
        let pick = i, hasAct = false;
        for (let k = i; k < j; k++) {
          if (isAct(k) || isFail(k)) hasAct = true;
          else if (WM.text[k].startsWith("FAIL: ") || (WM.kind[k] === "fault" && !WM.text[pick].startsWith("FAIL: "))) pick = k;
        }
        const x = xOf(WM.t[i]);
        let end = j < WM.t.length ? xOf(WM.t[j]) : W;
        let free = !hasAct;
        for (const [a, b] of taken) {
          if (x + 8 < b && x + 8 >= a - 2) free = false;
          if (a > x + 8) end = Math.min(end, a - 6);
        }
        const room = Math.min(end, W) - x - 12;
        if (free && room >= 24 && x + 8 + room > GUTTER) label(pick, x, room, j - i - 1);
        i = j;
      }
    }

    // The selection, on top.
    if (selected && selected.type === "msg") {
      const i = selected.i;
      drawArrow(i, xOf(MS.t0[i]), xOf(MS.t1[i]), laneY(MS.from[i]), laneY(MS.to[i]), true);
    } else if (selected && selected.type === "ev") {
      const i = selected.i;
      ctx.strokeStyle = "#111"; ctx.lineWidth = 2;
      ctx.beginPath(); ctx.arc(xOf(EV.t[i]), laneY(EV.lane[i]), 7, 0, 2 * Math.PI); ctx.stroke();
      ctx.lineWidth = 1;
    }

    // The gutter with lane names, and the time axis.
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, GUTTER, H);
    ctx.fillRect(0, 0, W, AXIS);
    ctx.strokeStyle = "#dde1ea";
    ctx.beginPath(); ctx.moveTo(GUTTER - 0.5, AXIS); ctx.lineTo(GUTTER - 0.5, H); ctx.stroke();
    for (let l = 0; l < NL; l++) {
      ctx.fillStyle = l === 0 ? "#8a90a0" : l === M.focus ? "#b06b00" : "#1d2330";
      ctx.font = (l === M.focus ? "bold " : "") + "12px system-ui, sans-serif";
      ctx.fillText(LANES[l], 10, laneY(l));
    }
    // The side each lane is on at the middle of the view, in the gutter.
    const mid = tOf(GUTTER + (W - GUTTER) / 2);
    for (const p of PARTS) {
      if (p.t0 > mid || p.t1 < mid) continue;
      for (let l = 0; l < NL; l++) {
        if (p.groups[l]) badge(GUTTER - 20, AXIS + l * LANE_H + (LANE_H - 13) / 2, sideName(p.groups[l]), SIDE[(p.groups[l] - 1) % SIDE.length]);
      }
    }
    ctx.font = "11px system-ui, sans-serif";
    const step = niceStep(view.ns * 110);
    ctx.fillStyle = "#555c6b";
    ctx.strokeStyle = "#e6e9f0";
    for (let t = Math.ceil(view.t0 / step) * step; t <= t1v; t += step) {
      const x = xOf(t);
      if (x < GUTTER) continue;
      ctx.beginPath(); ctx.moveTo(x + 0.5, AXIS - 5); ctx.lineTo(x + 0.5, H); ctx.stroke();
      ctx.fillText(fmtTime(t, step), x + 3, AXIS / 2);
    }

    drawn = { events, arrows, ms: performance.now() - start };
    const span = (W - GUTTER) * view.ns, fine = niceStep(span / 20);
    document.getElementById("range").textContent = fmtTime(Math.max(0, view.t0), fine) + " – " + fmtTime(Math.max(0, t1v), fine) +
      "  (" + fmtTime(span, fine) + " in view)";
    drawOverview();
    document.body.dataset.drawnEvents = events;
    document.body.dataset.drawnBlames = blames;
    document.body.dataset.worldLabels = worldLabels;
    document.body.dataset.partitionBadges = badges.length;
    document.body.dataset.viewT0 = Math.round(view.t0);
    document.body.dataset.viewT1 = Math.round(t1v);
    document.body.dataset.drawnArrows = arrows;
    document.body.dataset.frameMs = drawn.ms.toFixed(1);
  }

  // badge draws a side's letter in a small box of its colour.
  function badge(x, y, letter, colour) {
    ctx.fillStyle = colour;
    ctx.fillRect(x, y, 14, 13);
    ctx.fillStyle = "#fff";
    ctx.font = "bold 10px system-ui, sans-serif";
    ctx.fillText(letter, x + 3.5, y + 7);
    ctx.font = "11px system-ui, sans-serif";
  }

  function niceStep(ns) {
    const p = Math.pow(10, Math.floor(Math.log10(ns)));
    for (const m of [1, 2, 5, 10]) if (m * p >= ns) return m * p;
    return 10 * p;
  }

  function drawArrow(i, x0, x1, y0, y1, highlight) {
    const dropped = MS.drop[i] !== "";
    const colour = highlight ? "#111" : dropped ? "#d3312f" : MS.reply[i] ? "#2f9a58" : "#3566c8";
    ctx.strokeStyle = colour;
    ctx.fillStyle = colour;
    ctx.lineWidth = highlight ? 2.5 : 1;
    if (dropped) {
      // A lost message goes part of the way, and ends in a cross.
      const f = x1 - x0 < 6 ? 0.45 : 0.7;
      const ex = x0 + Math.max(x1 - x0, 8) * f, ey = y0 + (y1 - y0) * f;
      ctx.setLineDash([4, 3]);
      ctx.beginPath(); ctx.moveTo(x0, y0); ctx.lineTo(ex, ey); ctx.stroke();
      ctx.setLineDash([]);
      ctx.beginPath();
      ctx.moveTo(ex - 4, ey - 4); ctx.lineTo(ex + 4, ey + 4);
      ctx.moveTo(ex - 4, ey + 4); ctx.lineTo(ex + 4, ey - 4);
      ctx.stroke();
    } else {
      ctx.beginPath(); ctx.moveTo(x0, y0); ctx.lineTo(x1, y1); ctx.stroke();
      const len = Math.hypot(x1 - x0, y1 - y0);
      if (len > 12) {
        const ux = (x1 - x0) / len, uy = (y1 - y0) / len;
        ctx.beginPath();
        ctx.moveTo(x1, y1);
        ctx.lineTo(x1 - 7 * ux + 3 * uy, y1 - 7 * uy - 3 * ux);
        ctx.lineTo(x1 - 7 * ux - 3 * uy, y1 - 7 * uy + 3 * ux);
        ctx.closePath(); ctx.fill();
      }
    }
    ctx.lineWidth = 1;
  }

  function drawEvent(i, x, y) {
    const k = EV.kind[i];
    const c = KIND[k] || "#888";
    ctx.fillStyle = c;
    ctx.strokeStyle = c;
    switch (k) {
      case "crash":
        ctx.lineWidth = 2.5;
        ctx.beginPath(); ctx.moveTo(x - 6, y - 6); ctx.lineTo(x + 6, y + 6); ctx.moveTo(x - 6, y + 6); ctx.lineTo(x + 6, y - 6); ctx.stroke();
        ctx.lineWidth = 1;
        break;
      case "start":
        ctx.beginPath(); ctx.moveTo(x - 4, y - 7); ctx.lineTo(x + 6, y); ctx.lineTo(x - 4, y + 7); ctx.closePath(); ctx.fill();
        break;
      case "fault": case "note": {
        const fail = EV.text[i].indexOf("FAIL: ") >= 0;
        ctx.fillStyle = fail ? "#d3312f" : c;
        const r = fail ? 7 : 5;
        ctx.beginPath(); ctx.moveTo(x, y - r); ctx.lineTo(x + r, y); ctx.lineTo(x, y + r); ctx.lineTo(x - r, y); ctx.closePath(); ctx.fill();
        if (fail) { ctx.fillRect(x, AXIS, 1.5, NL * LANE_H); }
        break;
      }
      case "lost": case "drop":
        ctx.beginPath(); ctx.moveTo(x - 3, y - 3); ctx.lineTo(x + 3, y + 3); ctx.moveTo(x - 3, y + 3); ctx.lineTo(x + 3, y - 3); ctx.stroke();
        break;
      case "log": case "proc":
        ctx.fillRect(x - 0.5, y - 5, 1.5, 10);
        break;
      default:
        ctx.beginPath(); ctx.arc(x, y, 2.5, 0, 2 * Math.PI); ctx.fill();
    }
  }

  // The overview: the whole run's event density, and the window in view.
  let overviewImage = null;
  function drawOverview() {
    const OW = W, OH = 34;
    if (!overviewImage) {
      octx.clearRect(0, 0, OW, OH);
      const bins = new Float32Array(Math.max(1, OW - GUTTER));
      for (let i = 0; i < EV.t.length; i++) bins[Math.min(bins.length - 1, Math.floor(EV.t[i] / END * (bins.length - 1)))]++;
      let peak = 1;
      for (const b of bins) peak = Math.max(peak, b);
      octx.fillStyle = "#b7c3dc";
      for (let i = 0; i < bins.length; i++) {
        const h = bins[i] ? Math.max(1, Math.sqrt(bins[i] / peak) * (OH - 8)) : 0;
        octx.fillRect(GUTTER + i, OH - 2 - h, 1, h);
      }
      for (const p of PARTS) {
        octx.fillStyle = "rgba(224,123,0,0.18)";
        octx.fillRect(GUTTER + p.t0 / END * (OW - GUTTER), 0, Math.max(1, (p.t1 - p.t0) / END * (OW - GUTTER)), OH);
      }
      for (let i = 0; i < EV.t.length; i++) {
        if (EV.kind[i] === "note" && EV.text[i].indexOf("FAIL: ") >= 0) {
          octx.fillStyle = "#d3312f";
          octx.fillRect(GUTTER + EV.t[i] / END * (OW - GUTTER) - 1, 0, 2, OH);
        }
      }
      octx.fillStyle = "#555c6b";
      octx.font = "11px system-ui, sans-serif";
      octx.textBaseline = "middle";
      octx.fillText("whole run", 10, OH / 2);
      overviewImage = octx.getImageData(0, 0, over.width, over.height);
    } else {
      octx.putImageData(overviewImage, 0, 0);
    }
    const a = GUTTER + Math.max(0, view.t0) / END * (OW - GUTTER);
    const b = GUTTER + Math.min(END, tOf(W)) / END * (OW - GUTTER);
    octx.strokeStyle = "#3566c8";
    octx.lineWidth = 1.5;
    octx.fillStyle = "rgba(53,102,200,0.10)";
    octx.fillRect(a, 1, Math.max(2, b - a), OH - 2);
    octx.strokeRect(a, 1, Math.max(2, b - a), OH - 2);
  }

  // Clicking: the nearest event in the lane, else the nearest arrow, else
  // the lane's state at that time.
  function pick(x, y) {
    const lane = Math.floor((y - AXIS) / LANE_H);
    if (lane < 0 || lane >= NL || x < GUTTER) return null;
    const slop = 7 * view.ns, t = tOf(x);
    let best = -1, bestD = 1e9;
    for (let i = lowerBound(EV.t, t - slop); i < EV.t.length && EV.t[i] <= t + slop; i++) {
      if (EV.lane[i] !== lane) continue;
      const d = Math.abs(xOf(EV.t[i]) - x);
      if (d < bestD) { bestD = d; best = i; }
    }
    if (best >= 0 && bestD <= 7) return { type: "ev", i: best };
    let bm = -1, bmD = 6;
    const t1v = tOf(W);
    for (let i = lowerBound(MS.t0, view.t0 - MS.maxdur), n = 0; i < MS.t0.length && MS.t0[i] <= t1v && n < 50000; i++, n++) {
      if (MS.t1[i] < view.t0) continue;
      const d = segDist(x, y, xOf(MS.t0[i]), laneY(MS.from[i]), xOf(MS.t1[i]), laneY(MS.to[i]));
      if (d < bmD) { bmD = d; bm = i; }
    }
    if (bm >= 0) return { type: "msg", i: bm };
    return { type: "lane", lane, t };
  }
  function segDist(px, py, x0, y0, x1, y1) {
    const dx = x1 - x0, dy = y1 - y0, len2 = dx * dx + dy * dy;
    let u = len2 ? ((px - x0) * dx + (py - y0) * dy) / len2 : 0;
    u = Math.max(0, Math.min(1, u));
    return Math.hypot(px - (x0 + u * dx), py - (y0 + u * dy));
  }
  function stateAt(lane, t) {
    if (stateFrom[lane] < 0) return null;
    for (let i = stateFrom[lane]; i < stateTo[lane]; i++) if (ST.t0[i] <= t && t <= ST.t1[i]) return i;
    return null;
  }
  function show(sel) {
    const d = document.getElementById("details");
    selected = sel && sel.type !== "lane" ? sel : null;
    if (!sel) return;
    let text = "";
    if (sel.type === "ev") {
      const i = sel.i;
      text = EV.text[i] + "\n" + EV.kind[i] + " at " + LANES[EV.lane[i]] + ", " + fmtExact(EV.t[i]);
      const s = stateAt(EV.lane[i], EV.t[i]);
      if (s !== null) text += "\nstate: " + ST.label[s];
    } else if (sel.type === "msg") {
      const i = sel.i;
      text = (MS.reply[i] ? "reply to " : "request ") + MS.method[i] + ": " + LANES[MS.from[i]] + " → " + LANES[MS.to[i]] +
        "\nsent at " + fmtExact(MS.t0[i]) + (MS.drop[i] ? ", LOST at " + fmtExact(MS.t1[i]) + ": " + MS.drop[i]
          : ", delivered at " + fmtExact(MS.t1[i]) + " (" + fmtTime(MS.t1[i] - MS.t0[i]) + " in flight)") +
        (MS.bytes[i] ? "\n" + MS.bytes[i] + " bytes" : "");
    } else {
      text = LANES[sel.lane] + " at " + fmtExact(Math.max(0, sel.t));
      const s = stateAt(sel.lane, sel.t);
      if (s !== null) text += "\nstate: " + ST.label[s] + " (from " + fmtExact(ST.t0[s]) + ")";
      for (const p of PARTS) {
        if (p.t0 <= sel.t && sel.t <= p.t1) text += "\nnetwork: " + p.text + (p.groups[sel.lane] ? " (this lane is on side " + sideName(p.groups[sel.lane]) + ")" : "");
      }
      for (let i = 0; i < BL.t0.length; i++) {
        if (BL.lane[i] === sel.lane && BL.t0[i] <= sel.t && sel.t <= BL.t1[i]) {
          text += "\nporcupine blames this operation: " + BL.text[i] + ", called at " + fmtExact(BL.t0[i]) + ", returned at " + fmtExact(BL.t1[i]);
        }
      }
      for (let i = 0; i < SP.t0.length; i++) {
        if (SP.lane[i] === sel.lane && SP.t0[i] <= sel.t && sel.t <= SP.t1[i]) text += "\n" + ({ down: "crashed", paused: "paused (handles no event)" }[SP.kind[i]] || "disconnected") + " from " + fmtExact(SP.t0[i]) + " to " + fmtExact(SP.t1[i]);
      }
    }
    d.textContent = text;
    request();
  }

  // Input.
  let drag = null;
  main.addEventListener("mousedown", (e) => { drag = { x: e.clientX, y: e.clientY, moved: false }; main.classList.add("dragging"); });
  window.addEventListener("mousemove", (e) => {
    if (!drag) return;
    const dx = e.clientX - drag.x;
    if (Math.abs(dx) > 2 || drag.moved) { drag.moved = true; pan(-dx); drag.x = e.clientX; }
  });
  window.addEventListener("mouseup", (e) => {
    if (!drag) return;
    main.classList.remove("dragging");
    if (!drag.moved) {
      const r = main.getBoundingClientRect();
      show(pick(e.clientX - r.left, e.clientY - r.top));
    }
    drag = null;
  });
  main.addEventListener("wheel", (e) => {
    e.preventDefault();
    const r = main.getBoundingClientRect();
    if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) pan(e.shiftKey ? e.deltaY : e.deltaX);
    else zoom(Math.exp(e.deltaY * 0.0015), e.clientX - r.left);
  }, { passive: false });
  let odrag = false;
  const overTo = (e) => {
    const r = over.getBoundingClientRect();
    const t = (e.clientX - r.left - GUTTER) / (W - GUTTER) * END;
    view.t0 = t - (W - GUTTER) * view.ns / 2;
    clampView();
    request();
  };
  over.addEventListener("mousedown", (e) => { odrag = true; overTo(e); });
  window.addEventListener("mousemove", (e) => { if (odrag) overTo(e); });
  window.addEventListener("mouseup", () => { odrag = false; });
  window.addEventListener("keydown", (e) => {
    if (e.key === "+" || e.key === "=") zoom(0.7);
    else if (e.key === "-") zoom(1 / 0.7);
    else if (e.key === "ArrowLeft") pan(-(W - GUTTER) / 5);
    else if (e.key === "ArrowRight") pan((W - GUTTER) / 5);
    else if (e.key === "0" || e.key === "f") { fit(); request(); }
  });
  document.getElementById("fit").onclick = () => { fit(); request(); };
  document.getElementById("zoomin").onclick = () => zoom(0.7);
  document.getElementById("zoomout").onclick = () => zoom(1 / 0.7);
  window.addEventListener("resize", () => { const span = (W - GUTTER) * view.ns; resize(); view.ns = span / (W - GUTTER); request(); });

  // Header and legend.
  document.title = M.title;
  document.getElementById("title").textContent = M.title;
  const drops = MS.drop.filter((d) => d !== "").length;
  document.getElementById("summary").textContent = (NL - 1) + " lanes · " + EV.t.length + " events · " + MS.t0.length +
    " messages (" + drops + " lost) · " + PARTS.length + " partitions · " + SP.kind.filter((k) => k === "down").length +
    " crashes · " + fmtTime(END, niceStep(END / 100)) + " of virtual time" +
    (BL.t0.length ? " · porcupine blames " + BL.t0.length + " operation" + (BL.t0.length > 1 ? "s" : "") : "") + (M.digest ? " · digest " + M.digest : "");
  const legend = [["#3566c8", "request"], ["#2f9a58", "reply"], ["#d3312f", "lost message (ends in ×)"],
    ["rgba(40,40,48,0.35)", "crashed"], ["rgba(211,49,47,0.3)", "disconnected"], 
    ["#e07b00", "fault"], ["#6b4fbb", "note"]];
  if (PARTS.length) legend.push([SIDE[0], "partition: side A"], [SIDE[1], "side B"]);
  const seenStates = {};
  for (const c of ST.color) seenStates[c] = true;
  for (const c of Object.keys(seenStates).sort().slice(0, 12)) legend.push([stateColour(c), c === "started" ? "started, no state logged yet" : "state: " + c]);
  if (BL.t0.length) legend.push(["#d3312f", "operation porcupine blames"]);
  document.getElementById("legend").innerHTML = legend.map(([c, s]) => '<span><i style="background:' + c + '"></i>' +
    s.replace(/&/g, "&amp;").replace(/</g, "&lt;") + "</span>").join("");

  // A time window from the page's address: ?from=1.2s&to=1.8s (or the
  // same after #), so that a link or a screenshot can show one moment.
  function parseTime(v) {
    const m = /^(-?[0-9.]+)(ns|us|µs|ms|s)?$/.exec((v || "").trim());
    if (!m) return null;
    const unit = { ns: 1, us: 1e3, "µs": 1e3, ms: 1e6, s: 1e9 }[m[2] || "s"];
    const t = parseFloat(m[1]) * unit;
    return isFinite(t) ? t : null;
  }
  function urlWindow() {
    const q = new URLSearchParams(location.search);
    const h = new URLSearchParams(location.hash.replace(/^#/, ""));
    const from = parseTime(q.get("from") || h.get("from")), to = parseTime(q.get("to") || h.get("to"));
    if (from === null && to === null) return false;
    const a = from === null ? 0 : from, b = to === null ? END : to;
    if (!(b > a)) return false;
    view.ns = (b - a) / (W - GUTTER - 10);
    view.t0 = a;
    return true;
  }

  resize();
  fit();
  urlWindow();
  draw();
  const firstFrame = drawn.ms;
  const loaded = performance.now();
  const b = document.body.dataset;
  b.lanes = NL - 1; // the world's lane aside
  b.events = EV.t.length;
  b.messages = MS.t0.length;
  b.lost = drops;
  b.blamed = BL.t0.length;
  b.partitions = PARTS.length;
  // Lanes whose state bar starts at time 0, and state bars that start when
  // their node restarts, for the tests.
  let fromZero = 0, afterRestart = 0;
  for (let l = 1; l < NL; l++) if (stateFrom[l] >= 0 && ST.t0[stateFrom[l]] === 0) fromZero++;
  for (let i = 0; i < SP.t0.length; i++) {
    if (SP.kind[i] !== "down") continue;
    for (let j = stateFrom[SP.lane[i]]; j >= 0 && j < stateTo[SP.lane[i]]; j++) if (ST.t0[j] === SP.t1[i]) afterRestart++;
  }
  b.statesFromZero = fromZero;
  b.statesAfterRestart = afterRestart;
  b.firstFrameMs = firstFrame.toFixed(1);
  b.scriptMs = (loaded - t0Load).toFixed(1); // parse the model and draw the first frame
  b.loadMs = loaded.toFixed(1); // from navigation start
  document.getElementById("stats").textContent = "drawn in " + firstFrame.toFixed(1) + " ms (" + drawn.events +
    " marks, " + drawn.arrows + " arrows); page ready " + loaded.toFixed(0) + " ms after it was opened";

  // #bench: zoom in step by step, scroll, and zoom out again, timing every
  // frame; for the test that measures the viewer on a large run.
  if (location.hash === "#bench") {
    const times = [];
    const frame = () => { const s = performance.now(); draw(); times.push(performance.now() - s); };
    for (let k = 0; k < 20; k++) { zoom(0.8); frame(); }
    for (let k = 0; k < 20; k++) { pan((W - GUTTER) / 3); frame(); }
    for (let k = 0; k < 20; k++) { zoom(1 / 0.8); frame(); }
    fit(); frame();
    times.sort((x, y) => x - y);
    b.benchFrames = times.length;
    b.benchMedianMs = times[Math.floor(times.length / 2)].toFixed(1);
    b.benchMaxMs = times[times.length - 1].toFixed(1);
  }
  b.ready = "1";
})();
