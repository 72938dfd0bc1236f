# syntax=docker/dockerfile:1
# dataarts-exporter image: docker build -t dataarts-exporter .
# Mount the config at /etc/dataarts-exporter/config.yml and pass credentials as
# environment (HUAWEICLOUD_SDK_AK/SK) or files; see docs/deployment.md.

# Build stage: every dependency, TypeScript compiled to dist/.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
# No .git in the build context: pass the revision for dataarts_exporter_build_info.
ARG REVISION=unknown
RUN DATAARTS_EXPORTER_REVISION="$REVISION" npm run build

# Runtime stage: production dependencies only, so a runtime dependency that was
# put in devDependencies breaks here and not in production.
FROM node:20-bookworm-slim
# Pass both for the image's labels, e.g. --build-arg VERSION=$(npm pkg get version | tr -d '"') --build-arg REVISION=$(git rev-parse --short=12 HEAD).
ARG VERSION=unknown
ARG REVISION=unknown
LABEL org.opencontainers.image.title="dataarts-exporter" \
      org.opencontainers.image.description="Prometheus exporter for Huawei Cloud DataArts Studio release packages" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/dataarts-exporter/dataarts-exporter" \
      org.opencontainers.image.url="https://github.com/dataarts-exporter/dataarts-exporter" \
      org.opencontainers.image.documentation="https://github.com/dataarts-exporter/dataarts-exporter#readme" \
      org.opencontainers.image.version="$VERSION" \
      org.opencontainers.image.revision="$REVISION"
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# --storage.path: counters and the accounting window survive restarts on this volume.
RUN mkdir data && chown 1000:1000 data
VOLUME /app/data
# The image's node user, numeric so Kubernetes can check runAsNonRoot.
USER 1000:1000
EXPOSE 19918
# Slim images have no curl: ask Node. Assumes the default --web.listen-address.
# Plain HTTP, else HTTPS (with --web.config.file TLS): /-/healthy needs no credentials,
# and the check is whether the process answers, not who signed its certificate.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "const get = (m, u) => new Promise((ok) => require(m).get(u, { rejectUnauthorized: false }, (r) => ok(r.statusCode === 200)).on('error', () => ok(false))); get('http', 'http://127.0.0.1:19918/-/healthy').then((h) => h || get('https', 'https://127.0.0.1:19918/-/healthy')).then((h) => process.exit(h ? 0 : 1))"]
# What dist/cli.js's first line gives node (docs/performance.md): a 2 MiB young generation instead
# of 16 MiB, an old generation that grows by 20 % before the next full collection, and glibc
# handing blocks of 128 KiB and more back when they are freed instead of raising that bar to the
# largest one freed (a body) and keeping the heap it grew.
ENV MALLOC_MMAP_THRESHOLD_=131072
ENTRYPOINT ["node", "--max-semi-space-size=2", "--heap-growing-percent=20", "dist/cli.js"]
CMD ["--config.file=/etc/dataarts-exporter/config.yml", "--storage.path=/app/data"]
# TLS and basic auth (off by default; docs/web-config.md): mount a web config and its
# certificates, e.g. -v $PWD/web:/etc/dataarts-exporter/web:ro, and add to the command
#   --web.config.file=/etc/dataarts-exporter/web/web.yml
