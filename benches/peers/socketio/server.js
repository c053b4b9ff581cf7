// socket.io peer for chat-load (Apache-2.0): the broadcast-room baseline.
//
// Subscribers connect over the WebSocket transport with `?room=<name>` and join that room.
// Publishers POST the raw payload to `/publish?room=<name>`; the server emits it to the
// room as event "m" and answers 204 once the emit is queued, like our REST send answers
// once the event is on the bus. Listens on 127.0.0.1:$PORT (0 = any free port) and prints
// "listening <port>" when ready.
"use strict";

const http = require("node:http");
const { Server } = require("socket.io");

const httpServer = http.createServer((req, res) => {
  const url = new URL(req.url, "http://localhost");
  if (req.method !== "POST" || url.pathname !== "/publish") {
    res.writeHead(404).end();
    return;
  }
  const room = url.searchParams.get("room");
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    if (!room) {
      res.writeHead(400).end();
      return;
    }
    io.to(room).emit("m", Buffer.concat(chunks).toString("utf8"));
    res.writeHead(204).end();
  });
});

const io = new Server(httpServer, {
  transports: ["websocket"],
  serveClient: false,
  perMessageDeflate: false,
  maxHttpBufferSize: 1e6,
});

io.on("connection", (socket) => {
  const room = socket.handshake.query.room;
  if (typeof room === "string" && room.length > 0) {
    socket.join(room);
  }
});

httpServer.listen(Number(process.env.PORT || 0), "127.0.0.1", () => {
  console.log(`listening ${httpServer.address().port}`);
});

process.on("SIGTERM", () => process.exit(0));
