# syntax=docker/dockerfile:1
# Build stage: install every dependency and compile TypeScript to dist/.
FROM node:20-bookworm-slim AS build
WORKDIR /app
# A compiler for the optional native opus codec (@discordjs/opus): where neither its prebuilt binary nor a
# build from source works, confab runs without opus and says so at start-up.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# The sources are not copied yet: skip the `prepare` build here and build once they are.
RUN npm ci --ignore-scripts && (npm rebuild @discordjs/opus || echo "opus not built: confab runs without it")
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Runtime stage: the compiled code and production dependencies only, run as an unprivileged user.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
# espeak-ng is the default speech engine of the NCCO `talk` action (without it `talk` fails with an event).
RUN apt-get update \
  && apt-get install -y --no-install-recommends espeak-ng \
  && rm -rf /var/lib/apt/lists/*
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
