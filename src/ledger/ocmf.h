/*
 * ocmf.h - signed meter values in the Open Charge Metering Format
 * ("OCMF|{payload}|{signature}"), as chargers under German calibration law
 * send them in SampledValue.value with format = SignedData (OCA application
 * note on signed meter values in OCPP 1.6).
 *
 * A record's signature is ECDSA over the payload section's bytes exactly as
 * received (P-256 or P-384, SHA-256), hex DER, checked against the meter's
 * public key registered for the charger (PEM, or hex DER SubjectPublicKeyInfo
 * as OCMF tools print it). The transparency checks then look at the readings
 * of all of a transaction's records together: exactly one begin (TX "B") and
 * one end (TX "E") reading, begin value <= end value, meter status "G" (good)
 * and no error flags on every reading.
 */
#ifndef CHARGEOPS_OCMF_H
#define CHARGEOPS_OCMF_H

#include <stddef.h>

/* What a transaction's signed meter values came to, worst first wins. */
enum ocmf_status {
	OCMF_UNSIGNED = 0,  /* no SignedData values */
	OCMF_VERIFIED,      /* every signature valid and every check passed */
	OCMF_NO_KEY,        /* signed, but no (usable) meter key registered */
	OCMF_CHECK_FAILED,  /* signatures valid, a transparency check failed */
	OCMF_BAD_FORMAT,    /* not an OCMF record we can read */
	OCMF_BAD_SIGNATURE, /* a signature does not verify */
};

/* The status's name as stored and shown ("verified", "invalid_signature", ...). */
const char *ocmf_status_name(enum ocmf_status s);

/* Collects the records of one transaction and judges them. Plain data, but
 * ocmf_check_release() frees what it gathered. */
typedef struct ocmf_check {
	enum ocmf_status status;
	int records;
	int begins, ends;
	double begin_value, end_value;
	char unit[16];
	char detail[200]; /* the first problem found, for people */
	void *key;        /* EVP_PKEY *, or NULL */
	int key_bad;      /* a key was given but could not be read */
} ocmf_check;

/* Starts a check against pubkey (PEM or hex DER; NULL or "" = none registered). */
void ocmf_check_init(ocmf_check *c, const char *pubkey);
/* Adds one SignedData value (the bytes as the charger sent them). */
void ocmf_check_add(ocmf_check *c, const char *record, size_t len);
/* Runs the transparency checks over everything added; returns c->status. */
enum ocmf_status ocmf_check_finish(ocmf_check *c);
void ocmf_check_release(ocmf_check *c);

/* Whether text is a meter public key we can use (PEM or hex DER, P-256 or P-384). 0 or -1. */
int ocmf_key_valid(const char *text);

/*
 * Signs payload (an OCMF payload JSON text) with the EC private key in
 * private_pem (P-256 or P-384) the way a meter does: returns
 * "OCMF|payload|{"SA":"ECDSA-secp256r1-SHA256","SD":"<hex DER>"}" (caller
 * frees), or NULL. For the simulator and tests.
 */
char *ocmf_sign(const char *payload, const char *private_pem);

#endif
