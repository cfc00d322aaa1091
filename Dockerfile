# syntax=docker/dockerfile:1
# Switchboard image. Build from the repository root:
#   docker build -t switchboard .
# See docs/deployment.md for the ports, volumes and settings.

ARG NODE_IMAGE=node:22-bookworm-slim

# --- build: install everything, compile every package to dist/, then drop dev dependencies ---
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# onnxruntime-node's install step would fetch optional GPU binaries; the CPU build is bundled.
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY . .
RUN npm ci --no-audit --no-fund \
 && npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && npm cache clean --force
# Fail the build if `npm start` would still want to compile anything (esbuild stays installed as a
# runtime dependency all the same, for a source changed inside a running container).
RUN node --input-type=module -e "const { stalePackages } = await import('/app/scripts/build.mjs'); const s = stalePackages(); if (s.length > 0) { console.error('stale after build:', s); process.exit(1); }"

# --- runtime ---
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    SIP_HOST=0.0.0.0 \
    SIP_PORT=5060 \
    AUDIOSOCKET_HOST=0.0.0.0 \
    AUDIOSOCKET_PORT=5001 \
    RTP_PORT_MIN=40000 \
    RTP_PORT_MAX=40999 \
    DATA_DIR=/data
WORKDIR /app
# The official image's unprivileged `node` user (uid 1000) owns the data volume.
RUN mkdir -p /data && chown node:node /data
COPY --from=build --chown=node:node /app /app
# Same check in the final layer: copying must not have made dist/ look older than its sources.
RUN node --input-type=module -e "const { stalePackages } = await import('/app/scripts/build.mjs'); const s = stalePackages(); if (s.length > 0) { console.error('stale in the image:', s); process.exit(1); }"
USER node
VOLUME ["/data"]

# HTTP (API, dashboard, webhooks, browser calls)
EXPOSE 3000/tcp
# built-in SIP
EXPOSE 5060/udp
EXPOSE 5060/tcp
# Asterisk AudioSocket (when AUDIOSOCKET_ENABLED=true)
EXPOSE 5001/tcp
# RTP for SIP calls and ARI externalMedia (RTP_PORT_MIN..RTP_PORT_MAX)
EXPOSE 40000-40999/udp

HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# The production start, run by node itself (not through npm) so SIGTERM reaches the platform,
# which then drains: readiness 503 at once, SHUTDOWN_GRACE_MS for live calls, SHUTDOWN_HANGUP_MS
# to hang up the rest. Give `docker stop` more than their sum: docker stop -t 45.
STOPSIGNAL SIGTERM
CMD ["node", "--conditions=switchboard-dist", "scripts/start.mjs", "start"]
