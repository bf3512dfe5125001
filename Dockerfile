# switchyard: one image for `serve` and `worker` (see docker-compose.yml).
# Build stage: dependencies and the TypeScript build.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY . .
RUN npm run build && npm prune --omit=dev

# Runtime stage: production dependencies, the build and the apps; no compiler, not root.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/examples ./examples
USER node
EXPOSE 8000 9000
ENTRYPOINT ["node", "dist/bin/switchyard.js"]
CMD ["serve", "examples/quickstart/app.ts"]
