# The engine's container image: one image for the worker (`worker`, the default) and the HTTP API
# (`api`), run with production settings (TEMPORAL_ADDRESS, DATABASE_URL, SMTP_URL, …; see README,
# "Production"). Multi-stage: the build stage installs everything, generates the Prisma client and
# prebuilds the workflow bundle; the final stage has the production dependencies only and runs as
# the unprivileged `node` user.
#
#   docker build -t cs-lifecycle-engine .
#   docker run --rm -e TEMPORAL_ADDRESS=… -e DATABASE_URL=… cs-lifecycle-engine worker
#   docker run --rm -p 3000:3000 -e TEMPORAL_ADDRESS=… -e DATABASE_URL=… cs-lifecycle-engine api

# Pinned: the same Node line as the project's engines and CI (Node 20, Debian 12).
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# ---- build: all dependencies, the Prisma client, the workflow bundle -------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Install scripts are not needed (native parts ship prebuilt); the Prisma client is generated below.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npx prisma generate \
 && npm run build:workflows -- dist/workflow-bundle.js

# ---- production dependencies only ------------------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# ---- runtime ----------------------------------------------------------------------------------------
FROM ${NODE_IMAGE}
WORKDIR /app
ENV NODE_ENV=production \
    # The prebuilt bundle: no webpack at start-up, and every replica runs the same workflow code.
    WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js \
    # Reachable from other containers; publish ports deliberately (docker-compose.yml binds 127.0.0.1).
    API_HOST=0.0.0.0 \
    API_PORT=3000 \
    METRICS_HOST=0.0.0.0 \
    API_METRICS_PORT=9464 \
    WORKER_METRICS_PORT=9464 \
    LOG_LEVEL=info \
    # Nothing is kept in the container: the database is PostgreSQL (DATABASE_URL).
    CS_DATA_DIR=/tmp/cs-data
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --chown=root:root package.json package-lock.json tsconfig.json ./
COPY --chown=root:root src ./src
COPY --chown=root:root workflows ./workflows
COPY --chown=root:root activities ./activities
COPY --chown=root:root prisma ./prisma
COPY --from=build --chown=root:root /app/src/generated ./src/generated
COPY --from=build --chown=root:root /app/dist ./dist
# Code owned by root, process run as `node`: the process cannot rewrite its own code.
USER node
EXPOSE 3000 9464
# Exec form, no shell or npm in between: `node` is PID 1 and gets SIGTERM itself. The engine handles
# SIGTERM and SIGINT (the worker drains its tasks, the API finishes its requests, within
# SHUTDOWN_GRACE_SECONDS) and starts no child processes in production, so there is nothing to reap.
ENTRYPOINT ["node", "--import", "tsx", "src/cli/main.ts"]
CMD ["worker"]
# Both commands serve /healthz on 9464 in this image (API_METRICS_PORT, WORKER_METRICS_PORT).
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9464/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
