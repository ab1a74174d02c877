// Package p11 signs with the key on a certificate card (自然人憑證,
// 工商憑證) through the card's PKCS#11 module: HiCOS on users' PCs, SoftHSM in
// the tests. It finds the token by the certificate it holds, never by slot
// number, logs in with the user's PIN, signs a SHA-256 digest and logs out.
//
// The package uses cgo (github.com/miekg/pkcs11) and is linked only into
// cmd/cardagent, never into the server. Built without cgo it is a stub whose
// Open always fails, so that the rest of the module builds with Go alone.
package p11
