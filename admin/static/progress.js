// Live progress of a notice (polls the JSON endpoint while it is being delivered).
"use strict";
(function () {
  const bar = document.getElementById("bar");
  if (!bar) return;
  async function tick() {
    try {
      const res = await fetch(bar.dataset.url, {credentials: "same-origin"});
      const data = await res.json();
      bar.max = Math.max(data.total, 1);
      bar.value = data.sent;
      const status = document.getElementById("status");
      status.dataset.status = data.status;
      status.textContent = JSON.parse(status.dataset.labels)[data.status] || data.status;
      document.getElementById("progress-text").textContent =
        ["draft", "scheduled"].includes(data.status) && !data.total ? "まだ送信していません。" :
        `${data.sent} / ${data.total} 人に配信` + (data.failed ? `（失敗 ${data.failed}）` : "");
      if (["sent", "partially_failed", "failed", "cancelled", "draft"].includes(data.status)) return;
    } catch (err) { /* retry */ }
    setTimeout(tick, 1000);
  }
  tick();
})();
