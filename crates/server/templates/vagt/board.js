// Keeps the coordinator's board live: the server sends the board's HTML (already escaped, in
// the user's language) as `html` events on /vagt/board/stream; this swaps it in. EventSource
// reconnects by itself after a restart of the server.
(function () {
  'use strict';
  var board = document.getElementById('board');
  var live = document.getElementById('board-live');
  if (!board || !window.EventSource) {
    return;
  }
  var updates = 0;
  var source = new EventSource('/vagt/board/stream?only=html');
  source.addEventListener('open', function () {
    live.textContent = live.dataset.live;
    live.className = 'live';
  });
  source.addEventListener('html', function (e) {
    board.innerHTML = e.data;
    updates += 1;
    board.dataset.updates = String(updates);
  });
  source.addEventListener('error', function () {
    live.textContent = live.dataset.offline;
    live.className = 'live off';
  });
})();
