# Installs exactly as the README does (pip install of this project), then runs
# `syncplane server` or `syncplane executor` by the command given:
#   docker run IMAGE server --database-url postgresql://... --host 0.0.0.0
#   docker run -e SYNCPLANE_EXECUTOR_TOKEN=... IMAGE executor --server host:50051
FROM python:3.11-slim

# pgserver runs its embedded PostgreSQL as an unprivileged user; so do we.
RUN useradd --create-home --uid 10001 syncplane
WORKDIR /app
COPY pyproject.toml README.md ./
COPY protos ./protos
COPY server ./server
COPY executor ./executor
COPY bench ./bench
RUN pip install --no-cache-dir .

USER syncplane
ENV SYNCPLANE_DATA_DIR=/home/syncplane/data
EXPOSE 50051 8080
ENTRYPOINT ["syncplane"]
CMD ["server", "--host", "0.0.0.0"]
