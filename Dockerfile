# The practica image: one static binary (train, eval, predict and the
# embedded digits) on distroless's static base, run as its non-root user.
#   docker build -t practica .
#   docker run --rm practica train --epochs 2
# Without a container daemon, tools/ociimage writes the same image as an
# OCI layout (see the README's "Container image").

FROM golang:1.26 AS build
WORKDIR /src
# The modules first, so that a change to the code alone reuses their layer.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# CGO_ENABLED=0: the final stage has no C library. -trimpath keeps the
# builder's paths out of the binary; -s -w drops the symbol tables.
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/practica ./cmd/practica

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/practica /practica
USER 65532:65532
WORKDIR /home/nonroot
ENTRYPOINT ["/practica"]
