# syntax=docker/dockerfile:1
# One image for the api, the worker and the CLI; docker-compose.yml picks the command.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY apps ./apps
COPY libs ./libs
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    # Inside a container the API must listen on every interface, not the loopback default of .env.example.
    API_HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json .env.example ./
USER node
EXPOSE 3000
# Default: the HTTP API. Worker: node dist/apps/worker/src/main.js; CLI: node dist/apps/cli/src/main.js <command>
CMD ["node", "dist/apps/api/src/main.js"]
