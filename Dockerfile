# kepubot production image. Build: docker build -t kepubot .
# Run with a real PostgreSQL (see docker-compose.yml); migrations run at start-up.
# Node 22 LTS (Node 20 reaches end of life in April 2026); package.json `engines` admits 20.19+ and 22.

# --- build stage: compile TypeScript (tsc emits the decorator metadata TypeORM needs) and the console (Vite → dist/web) ---
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ormconfig.ts ./
COPY src ./src
COPY bot-scripts ./bot-scripts
COPY bench ./bench
COPY scripts ./scripts
COPY tests ./tests
COPY web ./web
RUN npm run build

# --- runtime stage: production dependencies and the compiled output only ---
FROM node:22-bookworm-slim
# A CJK font for the ranking card (PNG) drawn with @napi-rs/canvas.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-wqy-microhei && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    KEPUBOT_DATA_DIR=/app/data
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
RUN mkdir -p /app/data && chown -R node:node /app/data
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# Same as `npm start` without the build step: dist/ is already built.
CMD ["node", "dist/src/main.js"]
