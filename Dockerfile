# syntax=docker/dockerfile:1
# kv-server image: Node 24 LTS, production dependencies only, non-root, tini as PID 1.
#
#   docker build -t kv-server .
#   docker build -t kv-server --build-arg BUNDLE_EXAMPLE_DATA=true .   # with data/example.data
#   docker run -p 8080:8080 -v "$PWD/data:/data:ro" -e KV_DATA_FILE_PATH=/data/example.data kv-server
#
# NODE_IMAGE lets a build use a mirrored or locally made base (scripts/container/).
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY nest-cli.json tsconfig.json tsconfig.build.json ./
COPY src ./src
# --omit=optional too: typescript, a dev dependency, is also an optional peer of
# @nestjs/swagger (for its CLI plugin only), which npm otherwise keeps as production.
RUN npm run build && npm prune --omit=dev --omit=optional --no-audit --no-fund
# No data in the image unless asked for: data normally comes from a volume.
ARG BUNDLE_EXAMPLE_DATA=false
COPY data/example.data /tmp/example.data
RUN mkdir -p /out/data && if [ "$BUNDLE_EXAMPLE_DATA" = "true" ]; then cp /tmp/example.data /out/data/; fi

FROM ${NODE_IMAGE} AS runtime
# tini reaps zombies and forwards signals, so SIGTERM reaches node and the graceful
# shutdown runs (node as PID 1 would not get default signal handling).
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
# NODE_COMPILE_CACHE: V8's compiled code, made below for the image's user, so even a
# pod's first start skips compiling. No GLIBC_TUNABLES=glibc.malloc.hugetlb=1: whether
# huge pages help depends on the node (docs/design-choices.md, "No huge pages by default").
ENV NODE_ENV=production \
    PORT=8080 \
    HOST=0.0.0.0 \
    NODE_COMPILE_CACHE=/app/.node-compile-cache
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /out/data ./data
RUN mkdir .node-compile-cache && chown node:node .node-compile-cache
USER node
# The cache is per user: made as node, it serves node (uid 1000). An invalid PORT makes
# start-up import everything and then stop; a read-only root filesystem still reads it.
RUN PORT=warm-up node dist/main.js 2>&1 | grep -q 'PORT="warm-up" is not valid' \
 && test -n "$(ls -A .node-compile-cache)"
EXPOSE 8080
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/main.js"]
