# Multi-stage build of the multicert server: a static binary (pure-Go SQLite
# driver, no cgo) on an empty base image.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=docker
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/multicert ./cmd/multicert \
 && mkdir -p /out/data

FROM scratch
COPY --from=build /out/multicert /multicert
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV MULTICERT_ADDR=0.0.0.0:8080 MULTICERT_DATA_DIR=/data
EXPOSE 8080
ENTRYPOINT ["/multicert"]
CMD ["serve"]
