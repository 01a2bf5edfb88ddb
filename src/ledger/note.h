/*
 * note.h - signed notes and checkpoints (the C2SP signed-note and
 * tlog-checkpoint formats) with Ed25519 through OpenSSL.
 *
 * A note is UTF-8 text ending in a newline, a blank line, and one line per
 * signature: U+2014 EM DASH, a space, the key name, a space, and base64 of
 * the 4-byte key id followed by the 64-byte Ed25519 signature of the text.
 * The key id is the first 4 bytes of SHA-256(name || "\n" || 0x01 || public
 * key). A verifier key is written "name+KEYID_HEX+base64(0x01 || public key)".
 *
 * A checkpoint is a note whose text is three lines: the log's origin, the tree
 * size in decimal, and the base64 root hash.
 */
#ifndef CHARGEOPS_NOTE_H
#define CHARGEOPS_NOTE_H

#include "ledger/merkle.h"

#include <stddef.h>
#include <stdint.h>

typedef struct note_signer note_signer;

/* A parsed verifier key. */
typedef struct note_verifier {
	char name[128];
	uint8_t key_id[4];
	uint8_t pub[32];
} note_verifier;

enum {
	NOTE_EIO = -1,      /* key file unreadable, unwritable or malformed */
	NOTE_EFORMAT = -2,  /* a note, key or checkpoint that does not parse */
	NOTE_ESIG = -3,     /* no valid signature by the key */
};

/*
 * Loads the Ed25519 private key at path (PKCS#8 PEM), or creates it there with
 * mode 0600 when there is none. name is the key name (no spaces, no '+').
 * On success *out is the caller's: note_signer_free(). 0 or NOTE_E* with err.
 */
int note_signer_open(const char *path, const char *name, note_signer **out, char *err, size_t errlen);
/* A signer for a private key given as 32 raw bytes (tests and benchmarks). */
note_signer *note_signer_from_seed(const uint8_t seed[32], const char *name);
void note_signer_free(note_signer *s);
/* The verifier key text ("name+keyid+base64"); owned by s. */
const char *note_signer_vkey(const note_signer *s);
/* The public key as PEM (SubjectPublicKeyInfo); owned by s. */
const char *note_signer_pem(const note_signer *s);
/* A 32-byte secret derived from the private key for keyed pseudonyms. */
void note_signer_derive(const note_signer *s, const char *label, uint8_t out[32]);

/* Signs text (which must end in "\n"): returns the whole note, caller frees. NULL on failure. */
char *note_sign(const note_signer *s, const char *text);

/* Parses "name+keyid+base64", or a PEM Ed25519 public key with the name given
 * (name NULL: "chargeops/ledger"). 0 or NOTE_EFORMAT. */
int note_verifier_parse(const char *text, const char *pem_name, note_verifier *out);
/* Verifies that note carries a valid signature by v. On success, *text_len is
 * the length of the signed text (note's prefix). 0 or NOTE_E*. */
int note_verify(const note_verifier *v, const char *note, size_t *text_len);

/* The checkpoint text for origin, size and root; caller frees. */
char *checkpoint_text(const char *origin, uint64_t size, const merkle_hash *root);
/* Parses a checkpoint's text (its first three lines). origin gets the origin line. 0 or NOTE_EFORMAT. */
int checkpoint_parse(const char *text, size_t len, char *origin, size_t origin_len, uint64_t *size,
		     merkle_hash *root);

/* Base64 (standard, padded) helpers. The encoder returns a new string. */
char *note_b64(const void *data, size_t len);
/* Decodes into out (size bytes room); returns the length or -1. */
int note_unb64(const char *in, size_t inlen, uint8_t *out, size_t size);

#endif
