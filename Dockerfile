# syntax=docker/dockerfile:1
# Build stage: compile the monorepo, then keep only production dependencies.
FROM node:20-bookworm-slim AS build
# A compiler for scripts/leveldb-crc.mjs: LevelDB with the CPU's CRC-32C, as `npm run build`
# makes it (README, Design). Should it fail, the script keeps the prebuilt binary.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.base.json ./
COPY scripts ./scripts
COPY packages ./packages
COPY e2e ./e2e
RUN npm ci --no-audit --no-fund \
 && node scripts/leveldb-crc.mjs \
 && npx tsc -b packages/cli \
 && npm run build --silent -w @tributary/console \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf packages/*/src e2e/src

# Runtime stage: node + the compiled packages, run as the unprivileged `node` user.
FROM node:20-bookworm-slim
# One malloc arena and a 4 MiB young generation, as `npm start` runs brokers (README, Performance).
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=1 \
    TRIBUTARY_DATA_DIR=/data \
    TRIBUTARY_LISTEN=ws://0.0.0.0:9092
WORKDIR /app
COPY --from=build --chown=node:node /app /app
RUN mkdir -p /data && chown node:node /data
# `docker compose exec node2 tributary ...`: the CLI on PATH, bootstrapped at this node's own
# advertised address (reachable inside the compose network) unless TRIBUTARY_BOOTSTRAP says otherwise.
RUN printf '#!/bin/sh\nexport TRIBUTARY_BOOTSTRAP="${TRIBUTARY_BOOTSTRAP:-${TRIBUTARY_ADVERTISE:-ws://127.0.0.1:9092}}"\nexec node /app/packages/cli/dist/bin.js "$@"\n' > /usr/local/bin/tributary \
 && chmod 755 /usr/local/bin/tributary
USER node
VOLUME ["/data"]
EXPOSE 9092
# /readyz answers 200 once the node is registered, unfenced and caught up on metadata.
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=5 \
  CMD node -e "const u=new URL(process.env.TRIBUTARY_LISTEN.replace('ws','http'));u.hostname='127.0.0.1';u.pathname='/readyz';fetch(u).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "--max-semi-space-size=4", "/app/packages/cli/dist/bin.js"]
CMD ["broker"]
