# Build once, run the compiled platform as an unprivileged user.
# Node 20, as package.json's engines (>=20.18.1) and CI: package.json's overrides keep every
# dependency on a version that supports it (content-disposition 3, under @fastify/static, needs 22).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The workspaces (the shared package and the examples) are part of the install.
COPY packages ./packages
COPY examples ./examples
RUN npm ci --no-audit --no-fund
COPY tsconfig*.json nest-cli.json ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# node_modules/@backstop/transport links here.
COPY --from=build /app/packages/transport ./packages/transport
COPY package.json ./
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/main.js"]
