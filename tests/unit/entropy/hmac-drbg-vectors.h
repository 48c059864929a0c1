/* SPDX-License-Identifier: MIT */
/*
 * Known-answer vectors for HMAC_DRBG with SHA-256, from NIST CAVP's DRBG test vectors
 * (drbgtestvectors.zip, SP 800-90A), file HMAC_DRBG.rsp, section [SHA-256], EntropyInputLen =
 * 256, NonceLen = 128, ReturnedBitsLen = 1024 unless said otherwise:
 *   no_reseed    drbgvectors_no_reseed, COUNT = 0: PersonalizationStringLen 0 and 256
 *   pr_false     drbgvectors_pr_false, COUNT = 0: instantiate, reseed, generate twice
 *   pr_true      drbgvectors_pr_true, COUNT = 0, AdditionalInputLen = 256, ReturnedBitsLen =
 *                256: each generate reseeds first from EntropyInputPR with the additional
 *                input, which is exactly ent_drbg_reseed(EntropyInputPR, AdditionalInput)
 *                followed by a generate without additional input
 * In every case ReturnedBits is the output of the second generate call.
 */
#ifndef TESTS_ENTROPY_HMAC_DRBG_VECTORS_H
#define TESTS_ENTROPY_HMAC_DRBG_VECTORS_H

struct drbg_vector {
	const char *name;
	const char *entropy, *nonce, *pers;
	const char *reseed_entropy; /* "" = no reseed before the first generate */
	const char *reseed_add;
	const char *reseed2_entropy; /* "" = no reseed before the second generate */
	const char *reseed2_add;
	const char *returned;
};

static const struct drbg_vector drbg_vectors[] = {
        {
                .name = "no_reseed COUNT 0",
                .entropy = "ca851911349384bffe89de1cbdc46e6831e44d34a4fb935ee285dd14b71a7488",
                .nonce = "659ba96c601dc69fc902940805ec0ca8",
                .pers = "",
                .reseed_entropy = "",
                .reseed_add = "",
                .reseed2_entropy = "",
                .reseed2_add = "",
                .returned = "e528e9abf2dece54d47c7e75e5fe302149f817ea9fb4bee6f4199697d04d5b89"
                            "d54fbb978a15b5c443c9ec21036d2460b6f73ebad0dc2aba6e624abf07745bc1"
                            "07694bb7547bb0995f70de25d6b29e2d3011bb19d27676c07162c8b5ccde0668"
                            "961df86803482cb37ed6d5c0bb8d50cf1f50d476aa0458bdaba806f48be9dcb8",
        },
        {
                .name = "no_reseed PersonalizationStringLen 256 COUNT 0",
                .entropy = "5cacc68165a2e2ee20812f35ec73a79dbf30fd475476ac0c44fc6174cdac2b55",
                .nonce = "6f885496c1e63af620becd9e71ecb824",
                .pers = "e72dd8590d4ed5295515c35ed6199e9d211b8f069b3058caa6670b96ef1208d0",
                .reseed_entropy = "",
                .reseed_add = "",
                .reseed2_entropy = "",
                .reseed2_add = "",
                .returned = "f1012cf543f94533df27fedfbf58e5b79a3dc517a9c402bdbfc9a0c0f721f9d5"
                            "3faf4aafdc4b8f7a1b580fcaa52338d4bd95f58966a243cdcd3f446ed4bc546d"
                            "9f607b190dd69954450d16cd0e2d6437067d8b44d19a6af7a7cfa8794e5fbd72"
                            "8e8fb2f2e8db5dd4ff1aa275f35886098e80ff844886060da8b1e7137846b23b",
        },
        {
                .name = "pr_false COUNT 0",
                .entropy = "06032cd5eed33f39265f49ecb142c511da9aff2af71203bffaf34a9ca5bd9c0d",
                .nonce = "0e66f71edc43e42a45ad3c6fc6cdc4df",
                .pers = "",
                .reseed_entropy =
                        "01920a4e669ed3a85ae8a33b35a74ad7fb2a6bb4cf395ce00334a9c9a5a5d552",
                .reseed_add = "",
                .reseed2_entropy = "",
                .reseed2_add = "",
                .returned = "76fc79fe9b50beccc991a11b5635783a83536add03c157fb30645e611c2898bb"
                            "2b1bc215000209208cd506cb28da2a51bdb03826aaf2bd2335d576d519160842"
                            "e7158ad0949d1a9ec3e66ea1b1a064b005de914eac2e9d4f2d72a8616a802254"
                            "22918250ff66a41bd2f864a6a38cc5b6499dc43f7f2bd09e1e0f8f5885935124",
        },
        {
                .name = "pr_true AdditionalInputLen 256 COUNT 0",
                .entropy = "6c1f4bffc476e488fb57eb80dc106cf2b417bad22b196baa6346958256db490f",
                .nonce = "5f1b92223e3909e43677da2f588a6d19",
                .pers = "",
                .reseed_entropy =
                        "abaca65695bd5d289880453850fc8289b76f78b43f970ed32f4125a941165515",
                .reseed_add = "e6cd940610375e504fa80406120b34d498b022393436e910c0ba2560603fd066",
                .reseed2_entropy =
                        "4a39b666cf861816d7d82ef6e23f70f149d74d9bd499eea19b622e751c43d839",
                .reseed2_add = "d20082c5bdf6f6711af391e7d01046b9d3610827de63aa2671a5f5ad07b90841",
                .returned = "d3c36e4ae25ff21a95a157a89f13eb976362a695ea755f0465ed4a7bb20c5cb3",
        },
};

#endif
