// まちまど LINE simulator: several residents side by side, each action a signed webhook via the server.
"use strict";

const phones = new Map(); // userId -> {el, profile}
let lastSeq = 0;

async function api(path, body) {
  const opts = body === undefined ? {} : {method: "POST", headers: {"Content-Type": "application/json"},
                                          body: JSON.stringify(body)};
  const res = await fetch(path, opts);
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error || res.statusText);
  return data;
}

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

function act(userId, payload) {
  return api("/sim/api/action", {user: userId, ...payload}).catch(err => systemNote(userId, err.message));
}

function systemNote(userId, text) {
  const phone = phones.get(userId);
  if (phone) append(phone, el("div", "msg system", text));
}

function append(phone, node) {
  const talk = phone.el.querySelector(".talk");
  talk.appendChild(node);
  talk.scrollTop = talk.scrollHeight;
}

function runAction(userId, action) {
  if (!action) return;
  if (action.type === "postback") {
    act(userId, {kind: "postback", data: action.data, display: action.displayText || ""});
  } else if (action.type === "message") {
    act(userId, {kind: "text", text: action.text});
  } else if (action.type === "uri") {
    window.open(action.uri, "_blank", "noopener");
  } else if (action.type === "location") {
    // LINE opens its location picker; the simulator opens the phone's location form.
    const phone = phones.get(userId);
    if (!phone) return;
    const more = phone.el.querySelector("details.more");
    more.open = true;
    phone.el.querySelector(".location button").focus();
  } else if (action.type === "camera" || action.type === "cameraRoll") {
    // LINE opens the camera or the camera roll; the simulator opens the phone's file chooser.
    const phone = phones.get(userId);
    if (!phone) return;
    phone.el.querySelector("details.more").open = true;
    phone.el.querySelector(".photo").click();
  }
}

function sendPhoto(userId, file) {
  const reader = new FileReader();
  reader.onload = () => {
    const data = String(reader.result).split(",", 2)[1] || "";
    act(userId, {kind: "image", data, contentType: file.type || "application/octet-stream",
                 display: "📷 写真を送信しました"});
  };
  reader.readAsDataURL(file);
}

function actionButton(userId, action, cls) {
  const button = el("button", cls, action.label || "");
  button.type = "button";
  button.addEventListener("click", () => runAction(userId, action));
  return button;
}

function renderFlex(userId, node) {
  if (!node) return el("div");
  switch (node.type) {
    case "carousel": {
      const wrap = el("div", "flex-carousel");
      (node.contents || []).forEach(b => wrap.appendChild(renderFlex(userId, b)));
      return wrap;
    }
    case "bubble": {
      const bubble = el("div", "flex-bubble");
      for (const part of ["header", "hero", "body", "footer"]) {
        if (!node[part]) continue;
        const section = el("div", "fx-section " + part);
        section.appendChild(renderFlex(userId, node[part]));
        bubble.appendChild(section);
      }
      return bubble;
    }
    case "box": {
      const box = el("div", "fx-box " + (node.layout || "vertical"));
      (node.contents || []).forEach(c => box.appendChild(renderFlex(userId, c)));
      return box;
    }
    case "text": {
      const t = el("div", "fx-text", node.text || (node.contents || []).map(s => s.text).join(""));
      if (node.weight === "bold") t.style.fontWeight = "bold";
      if (node.color) t.style.color = node.color;
      if (node.size === "sm" || node.size === "xs") t.style.fontSize = "12px";
      if (node.size === "lg" || node.size === "xl") t.style.fontSize = "17px";
      return t;
    }
    case "button": return actionButton(userId, node.action || {}, "fx-button " + (node.style || "link"));
    case "separator": return el("hr", "fx-sep");
    case "image": {
      const img = el("img", "fx-image");
      img.src = node.url; img.alt = "";
      return img;
    }
    default: return el("div");
  }
}

function renderMessage(userId, message) {
  switch (message.type) {
    case "text": return el("div", "msg out", message.text);
    case "flex": {
      const wrap = renderFlex(userId, message.contents);
      wrap.setAttribute("aria-label", message.altText || "");
      return wrap;
    }
    case "location": {
      const card = el("div", "location-card");
      card.appendChild(el("strong", "", "📍 " + (message.title || "位置情報")));
      card.appendChild(el("div", "", message.address || ""));
      card.appendChild(el("div", "", `${message.latitude}, ${message.longitude}`));
      return card;
    }
    case "image": {
      const img = el("img", "fx-image");
      img.src = message.previewImageUrl; img.alt = "画像";
      const wrap = el("div", "flex-bubble"); wrap.appendChild(img);
      return wrap;
    }
    case "template": {
      const bubble = el("div", "flex-bubble");
      const section = el("div", "fx-section");
      section.appendChild(el("div", "fx-text", message.template.text || message.altText));
      (message.template.actions || []).forEach(a => section.appendChild(actionButton(userId, a, "fx-button")));
      bubble.appendChild(section);
      return bubble;
    }
    default: return el("div", "msg out", `[${message.type}]`);
  }
}

function showQuickReplies(phone, userId, message) {
  const bar = phone.el.querySelector(".quick");
  bar.replaceChildren();
  const items = (message.quickReply && message.quickReply.items) || [];
  items.forEach(item => {
    const button = actionButton(userId, item.action, "qr");
    button.addEventListener("click", () => bar.replaceChildren());
    bar.appendChild(button);
  });
}

function addPhone(profile) {
  if (phones.has(profile.userId)) return;
  const node = document.getElementById("phone-template").content.firstElementChild.cloneNode(true);
  node.dataset.user = profile.userId;
  node.dataset.name = profile.displayName;
  node.querySelector(".who").textContent = profile.displayName;
  const phone = {el: node, profile};
  phones.set(profile.userId, phone);
  const id = profile.userId;
  node.querySelector(".follow").addEventListener("click", () => act(id, {kind: "follow", unblocked: phone.blocked}));
  node.querySelector(".block").addEventListener("click", () => { phone.blocked = true; act(id, {kind: "unfollow"}); });
  node.querySelector(".compose").addEventListener("submit", ev => {
    ev.preventDefault();
    const input = node.querySelector(".text");
    if (!input.value.trim()) return;
    act(id, {kind: "text", text: input.value});
    input.value = "";
  });
  node.querySelector(".location").addEventListener("submit", ev => {
    ev.preventDefault();
    act(id, {kind: "location", latitude: node.querySelector(".lat").value, longitude: node.querySelector(".lon").value,
             display: "📍 位置情報を送信しました"});
  });
  node.querySelector(".photo").addEventListener("change", ev => {
    const file = ev.target.files && ev.target.files[0];
    if (file) sendPhoto(id, file);
    ev.target.value = "";
  });
  node.querySelector(".sticker").addEventListener("click", () => act(id, {kind: "sticker", display: "（スタンプ）"}));
  document.getElementById("phones").appendChild(node);
}

async function refreshRichMenu(phone) {
  const menu = await api(`/sim/api/richmenu?user=${encodeURIComponent(phone.profile.userId)}`);
  const box = phone.el.querySelector(".richmenu");
  const key = menu ? menu.richMenuId : "";
  if (phone.menuKey === key) return;
  phone.menuKey = key;
  box.hidden = !menu;
  if (!menu) return;
  const canvas = box.querySelector(".richmenu-canvas");
  canvas.querySelectorAll(".richmenu-area").forEach(a => a.remove());
  canvas.querySelector("img").src = menu.image;
  const {width, height} = menu.size;
  canvas.style.aspectRatio = `${width} / ${height}`;
  menu.areas.forEach(area => {
    const b = area.bounds;
    const button = actionButton(phone.profile.userId, area.action, "richmenu-area");
    button.replaceChildren(el("span", "sr-only", area.action.label || area.action.text || ""));
    Object.assign(button.style, {left: `${100 * b.x / width}%`, top: `${100 * b.y / height}%`,
                                 width: `${100 * b.width / width}%`, height: `${100 * b.height / height}%`});
    canvas.appendChild(button);
  });
  const bar = box.querySelector(".richmenu-bar");
  bar.textContent = menu.chatBarText + " ▼";
  bar.onclick = () => { canvas.hidden = !canvas.hidden; };
}

async function poll() {
  try {
    const items = await api(`/sim/api/timeline?since=${lastSeq}`);
    for (const item of items) {
      lastSeq = Math.max(lastSeq, item.seq);
      const phone = phones.get(item.user);
      if (!phone) continue;
      if (item.direction === "in") {
        append(phone, el("div", "msg in", item.message.text));
      } else {
        append(phone, renderMessage(item.user, item.message));
        showQuickReplies(phone, item.user, item.message);
      }
    }
    for (const phone of phones.values()) await refreshRichMenu(phone);
    const sent = await api("/sim/api/sent");
    const list = document.getElementById("sent-list");
    list.replaceChildren(...sent.reverse().map(s => el("li", "",
      `${new Date(s.at * 1000).toLocaleTimeString("ja-JP")} ${s.endpoint} ` +
      `${s.recipients === null ? "全員" : s.recipients + "人"} [${s.status}] ${s.preview}`)));
  } catch (err) { /* the next poll retries */ }
  setTimeout(poll, 600);
}

document.getElementById("new-resident").addEventListener("submit", async ev => {
  ev.preventDefault();
  const profile = await api("/sim/api/residents", {displayName: document.getElementById("new-name").value,
                                                   language: document.getElementById("new-lang").value});
  addPhone(profile);
  document.getElementById("new-name").value = "住民" + String.fromCharCode(65 + phones.size);
});

api("/sim/api/residents").then(list => list.forEach(addPhone)).finally(poll);
