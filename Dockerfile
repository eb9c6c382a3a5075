# syntax=docker/dockerfile:1
# Build stage: install every dependency and compile TypeScript to dist/.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The sources are not copied yet: skip the `prepare` build here and build once they are.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Runtime stage: the compiled code and production dependencies only, run as an unprivileged user.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY config/confab.yaml ./config/confab.yaml
RUN mkdir -p /app/data /app/config/keys && chown -R node:node /app/data /app/config/keys
USER node
# HTTP API, SIP over UDP and TCP, and the RTP range of the shipped configuration.
EXPOSE 3000 5060/udp 5060/tcp 20000-29999/udp
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:3000/health').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
ENTRYPOINT ["node", "bin/confab.js"]
CMD ["start"]
