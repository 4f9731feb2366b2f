"""Known-answer tests: hashes published by the producing systems' own test suites and specs.

Each vector must verify with its password, fail with a changed password, and be identified as
the expected format. Sources are cited per group.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

from authshift.passwords import parse, verify

# Unicode passwords used throughout passlib's test suite.
UPASS_TABLE = "t\u00e1\u0411\u2113\u0259"
UPASS_WAV = "\u0399\u03c9\u03b1\u03bd\u03bd\u03b7\u03c2"
UPASS_USD = "\u20ac\u00a5$"
LETMEIN = "l\u00e8tmein"  # Django's test password

Vector = tuple[str, str, Any]  # (expected format, password, stored spec)

VECTORS: list[Vector] = [
    # --- bcrypt: John the Ripper 1.7.9, openwall crypt_blowfish 1.2 and py-bcrypt test vectors,
    # as collected in passlib/tests/test_handlers_bcrypt.py; UPASS_TABLE ones are passlib's own.
    ("bcrypt", "U*U*U*U*", "$2a$05$c92SVSfjeiCD6F2nAD6y0uBpJDjdRkt0EgeC4/31Rf2LUZbDRDE.O"),
    ("bcrypt", "U*U", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"),
    ("bcrypt", "", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.7uG0VCzI2bS7j6ymqJi9CdcdxiRTWNy"),
    (
        "bcrypt",
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789chars after 72 are ignored",
        "$2a$05$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui",
    ),
    ("bcrypt", "~!@#$%^&*()      ~!@#$%^&*()PNBFRD", "$2a$10$LgfYWkbzEvQ4JakH7rOvHe0y8pHKF9OaFgwUZ2q7W2FFZmZzJYlfS"),
    ("bcrypt", UPASS_TABLE, "$2a$05$Z17AXnnlpzddNUvnC6cZNOSwMA/8oNiKnHTHTwLlBijfucQQlHjaG"),
    ("bcrypt", UPASS_TABLE, "$2b$05$Z17AXnnlpzddNUvnC6cZNOSwMA/8oNiKnHTHTwLlBijfucQQlHjaG"),
    # crypt_blowfish's wrapper.c lists the same vector under $2y$.
    ("bcrypt", "U*U", "$2y$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"),
    # --- argon2: the reference implementation's src/test.c (v1.0 and v1.3), argon2-cffi's tests,
    # passlib's UPASS_TABLE vector.
    ("argon2i", "password", "$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA"),
    ("argon2i", "password", "$argon2i$m=65536,t=2,p=1$c29tZXNhbHQ$9sTbSlTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpQ"),
    ("argon2i", "differentpassword", "$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$FK6NoBr+qHAMI1jc73xTWNkCEoK9iGY6RWL1n7dNIu4"),
    ("argon2i", UPASS_TABLE, "$argon2i$v=19$m=512,t=2,p=2$1sV0O4PWLtc12Ypv1f7oGw$z+yqzlKtrq3SaNfXDfIDnQ"),
    ("argon2d", "password", "$argon2d$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$cZn5d+rFh+ZfuRhm2iGUGgcrW5YLeM6q7L3vBsdmFA0"),
    # --- scrypt PHC: the scrypt paper's vectors encoded by passlib, and passlib's custom ones.
    ("scrypt", "", "$scrypt$ln=4,r=1,p=1$$d9ZXYjhleyA7GcpCwYoEl/FrSETjB0ro39/6P+3iFEI"),
    ("scrypt", "password", "$scrypt$ln=10,r=8,p=16$TmFDbA$/bq+HJ00cgB4VucZDQHp/nxq18vII3gw53N2Y0s3MWI"),
    ("scrypt", UPASS_TABLE, "$scrypt$ln=7,r=8,p=1$jjGmtDamdA4BQAjBeA9BSA$OiWRHhQtpDx7M/793x6UXK14AD512jg/qNm/hkWZG4M"),
    ("scrypt", "nacl", "$scrypt$ln=1,r=4,p=2$yhnD+J+Tci4lZCwFgHCuVQ$fAsEWmxSHuC0cHKMwKVFPzrQukgvK09Sj+NueTSxKds"),
    # the same paper vector written with N itself in the ln field (unambiguous: 1024 >= 64)
    ("scrypt", "password", "$scrypt$ln=1024,r=8,p=16$TmFDbA$/bq+HJ00cgB4VucZDQHp/nxq18vII3gw53N2Y0s3MWI"),
    # --- PBKDF2: passlib's pbkdf2_* and atlassian vectors (the latter generated with Jira).
    ("pbkdf2_sha1", "password", "$pbkdf2$1212$OB.dtnSEXZK8U5cgxU/GYQ$y5LKPOplRmok7CZp/aqVDVg8zGI"),
    ("pbkdf2_sha1", UPASS_WAV, "$pbkdf2$1212$THDqatpidANpadlLeTeOEg$HV3oi1k5C5LQCgG1BMOL.BX4YZc"),
    ("pbkdf2_sha256", "password", "$pbkdf2-sha256$1212$4vjV83LKPjQzk31VI4E0Vw$hsYF68OiOUPdDZ1Fg.fJPeq1h/gXXY7acBp9/6c.tmQ"),
    ("pbkdf2_sha256", UPASS_WAV, "$pbkdf2-sha256$1212$3SABFJGDtyhrQMVt1uABPw$WyaUoqCLgvz97s523nF4iuOqZNbp5Nt8do/cuaa7AiI"),
    (
        "pbkdf2_sha512",
        UPASS_WAV,
        "$pbkdf2-sha512$1212$KkbvoKGsAIcF8IslDR6skQ$8be/PRmd88Ps8fmPowCJttH9G3vgxpG.Krjt3KT.NP6cKJ0V4Prarqf.HBwz0dCkJ6xgWnSj2ynXSV7MlvMa8Q",
    ),
    ("atlassian_pbkdf2_sha1", "admin", "{PKCS5S2}c4xaeTQM0lUieMS3V5voiexyX9XhqC2dBd5ecVy60IPksHChwoTAVYFrhsgoq8/p"),
    ("atlassian_pbkdf2_sha1", UPASS_WAV, "{PKCS5S2}cE9Yq6Am5tQGdHSHhky2XLeOnURwzaLBG2sur7FHKpvy2u0qDn6GcVGRjlmJoIUy"),
    # PHC form of RFC 6070 vector 3 (PBKDF2-HMAC-SHA1, "password", "salt", 4096 iterations).
    ("pbkdf2_sha1", "password", "$pbkdf2-sha1$i=4096,l=20$c2FsdA$" + base64.b64encode(bytes.fromhex("4b007901b765489abead49d926f721d065a429c1")).decode().rstrip("=")),
    # --- RFC 6070 (PBKDF2-HMAC-SHA1) through the raw object form.
    ("pbkdf2_raw", "password", {"algorithm": "pbkdf2-sha1", "hash": "0c60c80f961f0e71f3a9b524af6012062fe037a6", "hash_encoding": "hex", "salt": "salt", "salt_encoding": "utf8", "iterations": 1}),
    ("pbkdf2_raw", "password", {"algorithm": "pbkdf2", "hash": "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957", "hash_encoding": "hex", "salt": "salt", "salt_encoding": "utf8", "iterations": 2}),
    ("pbkdf2_raw", "password", {"algorithm": "pbkdf2-sha1", "hash": "4b007901b765489abead49d926f721d065a429c1", "hash_encoding": "hex", "salt": "c2FsdA==", "iterations": 4096}),
    ("pbkdf2_raw", "passwordPASSWORDpassword", {"algorithm": "PBKDF2-SHA1", "hash": "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038", "hash_encoding": "hex", "salt": "saltSALTsaltSALTsaltSALTsaltSALTsalt", "salt_encoding": "utf8", "iterations": 4096}),
    ("pbkdf2_raw", "pass\0word", {"algorithm": "pbkdf2-sha1", "hash": "56fa6aa75548099dcc37d7f03425e0c3", "hash_encoding": "hex", "salt": "7361006c74", "salt_encoding": "hex", "iterations": 4096}),
    # --- Django: tests/auth_tests/test_hashers.py (password "lètmein"), and passlib's django vectors.
    ("django_pbkdf2_sha256", LETMEIN, "pbkdf2_sha256$600000$seasalt$OAXyhAQ/4ZDA9V5RMExt3C1OwQdUpLZ99vm1McFlLRA="),
    ("django_pbkdf2_sha256", UPASS_TABLE, "pbkdf2_sha256$10000$bEwAfNrH1TlQ$OgYUblFNUX1B8GfMqaCYUK/iHyO0pa7STTDdaEJBuY0="),
    ("django_pbkdf2_sha1", "not a password", "pbkdf2_sha1$10000$wz5B6WkasRoF$atJmJ1o+XfJxKq1+Nu1f1i57Z5I="),
    ("django_pbkdf2_sha1", UPASS_TABLE, "pbkdf2_sha1$10000$KZKWwvqb8BfL$rw5pWsxJEU4JrZAQhHTCO+u0f5Y="),
    ("django_scrypt", LETMEIN, "scrypt$16384$seasalt$8$1$Qj3+9PPyRjSJIebHnG81TMjsqtaIGxNQG/aEB/NYafTJ7tibgfYz71m0ldQESkXFRkdVCBhhY8mx7rQwite/Pw=="),
    ("django_md5", LETMEIN, "md5$seasalt$3f86d0d3d465b7b458c231bf3555c0e3"),
    ("django_md5", UPASS_USD, "md5$c2e86$92105508419a81a6babfaecf876a2fa0"),
    ("django_md5", UPASS_TABLE, "md5$d9eb8$01495b32852bffb27cf5d4394fe7a54c"),
    ("django_sha1", LETMEIN, "sha1$seasalt$cff36ea83f5706ce9aa7454e63e431fc726b2dc8"),
    ("django_sha1", UPASS_TABLE, "sha1$6d853$ef13a4d8fb57aed0cb573fe9c82e28dc7fd372d4"),
    ("django_unsalted_md5", LETMEIN, "88a434c88cca4e900f7874cd98123f43"),
    ("django_unsalted_md5", LETMEIN, "md5$$88a434c88cca4e900f7874cd98123f43"),
    ("django_unsalted_sha1", LETMEIN, "sha1$$6d138ca3ae545631b3abd71a4f076ce759c5700b"),
    ("django_bcrypt_sha256", "", "bcrypt_sha256$$2a$06$/3OeRpbOf8/l6nPPRdZPp.nRiyYqPobEZGdNRBWihQhiFDh1ws1tu"),
    ("django_bcrypt_sha256", LETMEIN, "bcrypt_sha256$$2a$08$NDjSAIcas.EcoxCRiArvT.MkNiPYVhrsrnJsRkLueZOoV1bsQqlmC"),
    ("django_bcrypt_sha256", UPASS_TABLE, "bcrypt_sha256$$2a$06$kCXUnRFQptGg491siDKNTu8RxjBGSjALHRuvhPYNFsa4Ea5d9M48u"),
    ("django_bcrypt_sha256", "abc123" * 12 + "qwr", "bcrypt_sha256$$2a$06$Tg/oYyZTyAf.Nb3qSgN61Ocy0BEz1RK6xslSNi8PlaLX2pe7x/KQG"),
    ("django_bcrypt_sha256", "abc123" * 12 + "xyz", "bcrypt_sha256$$2a$06$Tg/oYyZTyAf.Nb3qSgN61OvY2zoRVUa2Pugv2ExVOUT2YmhvxUFUa"),
    ("django_bcrypt", UPASS_TABLE, "bcrypt$$2a$05$Z17AXnnlpzddNUvnC6cZNOSwMA/8oNiKnHTHTwLlBijfucQQlHjaG"),
    ("django_argon2", "password", "argon2$argon2i$v=19$m=256,t=1,p=1$c29tZXNhbHQ$AJFIsNZTMKTAewB4+ETN1A"),
    ("django_argon2", LETMEIN, "argon2$argon2i$v=19$m=512,t=2,p=2$V25jN1l4UUJZWkR1$MxpA1BD2Gh7+D79gaAw6sQ"),
    # --- crypt(3): JtR 1.7.9 and passlib's vectors, Drepper's SHA-crypt specification, PHP's
    # ext/standard/tests/strings/crypt_sha512.phpt, Apache's documentation for $apr1$.
    ("md5_crypt", "U*U***U*", "$1$dXc3I7Rw$is1mVIAEtAhIzSdfn5JOO0"),
    ("md5_crypt", "", "$1$dOHYPKoP$tnxS1T8Q6VVn3kpV8cN6o."),
    ("md5_crypt", "s", "$1$ssssssss$YgmLTApYTv12qgTwBoj8i/"),
    ("md5_crypt", UPASS_TABLE, "$1$d6/Ky1lU$/xpf8m7ftmWLF.TjHCqel0"),
    ("apr_md5_crypt", "myPassword", "$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/"),
    ("apr_md5_crypt", UPASS_TABLE, "$apr1$bzYrOHUx$a1FcpXuQDJV3vPY20CS6N1"),
    ("sha256_crypt", "Hello world!", "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5"),
    ("sha256_crypt", "This is just a test", "$5$rounds=5000$toolongsaltstrin$Un/5jzAHMgOGZ5.mWJpuVolil07guHPvOW8mGRcvxa5"),
    ("sha256_crypt", "we have a short salt string but not a short password", "$5$rounds=77777$short$JiO1O3ZpDAxGJeaDIuqCoEFysAe1mZNJRs3pw0KQRd/"),
    ("sha256_crypt", "a short string", "$5$rounds=123456$asaltof16chars..$gP3VQ/6X7UUEW3HkBn2w1/Ptq2jxPyzV/cZKmF/wJvD"),
    ("sha256_crypt", "the minimum number is still observed", "$5$rounds=1000$roundstoolow$yfvwcWrQ8l/K0DAWyuPMDNHpIVlTQebY9l/gL972bIC"),
    ("sha256_crypt", "with unic\u00d6de", "$5$rounds=1000$IbG0EuGQXw5EkMdP$LQ5AfPf13KufFsKtmazqnzSGZ4pxtUNw3woQ.ELRDF4"),
    ("sha256_crypt", "", "$5$kc7lRD1fpYg0g.IP$d7CMTcEqJyTXyeq8hTdu/jB/I6DGkoo62NXbHIR7S43"),
    ("sha512_crypt", "Hello world!", "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v."),
    ("sha512_crypt", "a very much longer text to encrypt.  This one even stretches over morethan one line.", "$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1"),
    ("sha512_crypt", "foo", "$6$$QMXjqd7rHQZPQ1yHsXkQqC1FBzDiVfTHXL.LaeDAeVV.IzMaV9VU4MQ8kPuZa2SOP1A0RPm772EaFYjpEJtdu."),
    ("sha512_crypt", UPASS_TABLE, "$6$rounds=40000$PEZTJDiyzV28M3.m$GTlnzfzGB44DGd1XqlmC4erAJKCP.rhvLvrYxiT38htrNzVGBnplFOHjejUGVrCfusGWxLQCc3pFO0A/1jYYr0"),
    ("sha512_crypt", "U*U***U", "$6$LKO/Ute40T3FNF95$wK80cNqkiAUzFuVGxW6eFe8J.fSVI65MD5yEm8EjYMaJuDrhwe5XXpHDJpwF/kY.afsUs1LlgQAaOapVNbggZ1"),
    # --- phpass: the phpass 0.3 source and JtR 1.7.9 (as collected by passlib), passlib's own.
    ("phpass", "test12345", "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0"),
    ("phpass", "test1", "$H$9aaaaaSXBjgypwqm.JsMssPLiS8YQ00"),
    ("phpass", "JohnRipper", "$P$B12345678L6Lpt4BxNotVIMILOa9u81"),
    ("phpass", "", "$P$7JaFQsPzJSuenezefD/3jHgt5hVfNH0"),
    ("phpass", UPASS_TABLE, "$P$7SMy8VxnfsIy2Sxm7fJxDSdil.h7TW."),
    # --- Drupal 7: ruby-drupal-hash README, zitadel/passwap's test values, and a Django
    # Drupal-migration project's tests (incl. a user_update_7000() "U$" hash).
    ("drupal7_sha512", "password1234", "$S$DeIZ1KTE.VzRvudZ5.xgOakipuMFrVyPmRdWTjAdYieWj27NMglI"),
    ("drupal7_sha512", "password", "$S$ErandomsaOpYrAZqwxGynirQbWYCb3ejW4BwGH81LJcOzbzeVd02"),
    ("drupal7_sha512", "DifficultPassword123", "$S$5FIcboyzv1ZD/OZDb4w/4HSlnsPlwbr/PWLWrHPWrJp8eXOQQaWJ"),
    ("drupal7_upgraded_md5", "SimpleEasyPassword", "U$S$5I5Ht7YwxFRiMiJhBjyt42Ji2WRndX2dCx1jyktH92PeQp0xWdgi"),
    # --- LDAP: passlib's ldap_* vectors (incl. 8/15/16-byte salts and {CRYPT}).
    ("ldap_md5", "helloworld", "{MD5}/F4DjTilcDIIVEHn/nAQsA=="),
    ("ldap_md5", UPASS_TABLE, "{MD5}BUc/ihn2aBXnN7MyZKDQsA=="),
    ("ldap_salted_md5", "testing1234", "{SMD5}UjFY34os/pnZQ3oQOzjqGu4yeXE="),
    ("ldap_salted_md5", UPASS_TABLE, "{SMD5}Z0ioJ58LlzUeRxm3K6JPGAvBGIM="),
    ("ldap_salted_md5", "test", "{SMD5}LnuZPJhiaY95/4lmVFpg548xBsD4P4cw"),
    ("ldap_sha1", "helloworld", "{SHA}at+xg6SiyUovktq1redipHiJpaE="),
    ("ldap_sha1", UPASS_TABLE, "{SHA}4FmyYo46Pi3glWed6YIsHRRm4PA="),
    ("ldap_salted_sha1", "secret", "{SSHA}0H+zTv8o4MR4H43n03eCsvw1luG8LdB7"),
    ("ldap_salted_sha1", UPASS_TABLE, "{SSHA}3yCSD1nLZXznra4N8XzZgAL+s1sQYsx5"),
    ("ldap_salted_sha1", "test", "{SSHA}Pfx6Vf48AT9x3FVv8znbo8WQkEVSipHSWovxXmvNWUvp/d/7"),
    ("ldap_salted_sha1", "testing123", "{ssha}0c0blFTXXNuAMHECS4uxrj3ZieMoWImr"),  # scheme tag in lower case
    ("ldap_crypt", "", "{CRYPT}$1$dOHYPKoP$tnxS1T8Q6VVn3kpV8cN6o."),
    ("ldap_crypt", UPASS_TABLE, "{CRYPT}$1$d6/Ky1lU$/xpf8m7ftmWLF.TjHCqel0"),
    # --- ASP.NET Core Identity's PasswordHasherTest.cs (all for "my password").
    ("aspnet_identity", "my password", {"algorithm": "aspnet_identity", "hash": "AAABAgMEBQYHCAkKCwwNDg+ukCEMDf0yyQ29NYubggHIVY0sdEUfdyeM+E1LtH1uJg=="}),
    ("aspnet_identity", "my password", {"algorithm": "aspnet_identity", "hash": "AQAAAAAAAAD6AAAAEAhftMyfTJylOlZT+eEotFXd1elee8ih5WsjXaR3PA9M"}),
    ("aspnet_identity", "my password", {"algorithm": "aspnet_identity", "hash": "AQAAAAEAA9CQAAAAIESkQuj2Du8Y+kbc5lcN/W/3NiAZFEm11P27nrSN5/tId+bR1SwV8CO1Jd72r4C08OLvplNlCDc3oQZ8efcW+jQ="}),
    ("aspnet_identity", "my password", {"algorithm": "aspnet_identity", "hash": "AQAAAAIAAAAyAAAAEOMwvh3+FZxqkdMBz2ekgGhwQ4B6pZWND6zgESBuWiHw"}),
    ("aspnet_identity", "my password", {"algorithm": "aspnet_identity", "hash": "AQAAAAIAAAD6AAAAIJbVi5wbMR+htSfFp8fTw8N8GOS/Sje+S/4YZcgBfU7EQuqv4OkVYmc4VJl9AGZzmRTxSkP7LtVi9IWyUxX8IAAfZ8v+ZfhjCcudtC1YERSqE1OEdXLW9VukPuJWBBjLuw=="}),
    ("aspnet_identity", "my password", {"algorithm": "aspnet_identity", "hash": "AQAAAAIAACcQAAAAEAABAgMEBQYHCAkKCwwNDg9B0Oxwty+PGIDSp95gcCfzeDvA4sGapUIUov8usXfD6A=="}),
    ("aspnet_identity", "my password", {"algorithm": "aspnet_identity", "hash": "AQAAAAIAAYagAAAAEAABAgMEBQYHCAkKCwwNDg/Q8A0WMKbtHQJQ2DHCdoEeeFBrgNlldq6vH4qX/CGqGQ=="}),
    # --- Keycloak: real realm exports (Strimzi's OAuth example realm, user alice; two public
    # realm exports whose test users are named after their passwords).
    (
        "keycloak",
        "alice-password",
        {
            "type": "password",
            "secretData": '{"value":"KqABIiReBuRWbP4pBct3W067pNvYzeN7ILBV+8vT8nuF5cgYs2fdl2QikJT/7bGTW/PBXg6CYLwJQFYrBK9MWg==","salt":"EPgscX9CQz7UnuZDNZxtMw=="}',
            "credentialData": '{"hashIterations":27500,"algorithm":"pbkdf2-sha256"}',
        },
    ),
    (
        "keycloak",
        "user1",
        {
            "id": "f84d4392-880e-4eeb-ad16-d636d30f58f7",
            "type": "password",
            "createdDate": 1693669854698,
            "secretData": '{"value":"3Z83Ic8JUztntTF9PBmLJW02MIxLxTYPg2mt5N2TgwA=","salt":"8qeAg8keMTB9ctgwRYBQ8w==","additionalParameters":{}}',
            "credentialData": '{"hashIterations":27500,"algorithm":"pbkdf2-sha256","additionalParameters":{}}',
        },
    ),
    ("keycloak", "user1", {"algorithm": "pbkdf2-sha256", "hash_iterations": 27500, "value": "9qur72LAICdhFeb2SpkJt2jbOYaxJ44g9T+E7bmJXxI=", "salt": "AGHjXoWftkFxnk/dcZRNnA=="}),
    # the same credential in the pre-Keycloak-11 export shape
    ("keycloak", "user1", {"type": "password", "hashedSaltedValue": "9qur72LAICdhFeb2SpkJt2jbOYaxJ44g9T+E7bmJXxI=", "salt": "AGHjXoWftkFxnk/dcZRNnA==", "hashIterations": 27500, "algorithm": "pbkdf2-sha256"}),
    # --- Firebase: the sample of github.com/firebase/scrypt's README.
    (
        "firebase_scrypt",
        "user1password",
        {
            "algorithm": "firebase_scrypt",
            "hash": "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==",
            "salt": "42xEC+ixf3L2lw==",
            "hash_config": {
                "base64_signer_key": "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==",
                "base64_salt_separator": "Bw==",
                "rounds": 8,
                "mem_cost": 14,
            },
        },
    ),
    # --- scrypt raw: RFC 7914 section 12 vectors 2 and 3 (64-byte outputs).
    ("scrypt_raw", "password", {"algorithm": "scrypt", "hash": "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640", "hash_encoding": "hex", "salt": "NaCl", "salt_encoding": "utf8", "n": 1024, "r": 8, "p": 16}),
    ("scrypt_raw", "pleaseletmein", {"algorithm": "scrypt", "hash": "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887", "hash_encoding": "hex", "salt": "U29kaXVtQ2hsb3JpZGU=", "ln": 14, "r": 8, "p": 1}),
    # --- plain and salted digests: passlib's hex_* vectors, Django's md5 vector as an object,
    # MSSQL 2005's sha1(utf16le(password) + salt) (JtR vector 'Test' as collected by passlib).
    ("md5", "password", {"algorithm": "md5", "hash": "5f4dcc3b5aa765d61d8327deb882cf99"}),
    ("md5", UPASS_TABLE, {"algorithm": "md5", "hash": "05473f8a19f66815e737b33264a0d0b0"}),
    ("md5", LETMEIN, {"algorithm": "md5", "hash": "3f86d0d3d465b7b458c231bf3555c0e3", "salt": "seasalt", "salt_position": "prefix"}),
    ("sha1", UPASS_TABLE, {"algorithm": "sha1", "hash": "e059b2628e3a3e2de095679de9822c1d1466e0f0"}),
    ("sha1", "Test", {"algorithm": "sha-1", "hash": "0CFA5FDCA28C4A56085E65E882E71CB0ED250341", "salt": "34767D5C", "salt_encoding": "hex", "salt_position": "suffix", "password_encoding": "utf16le"}),
    ("sha256", "password", {"algorithm": "sha256", "hash": "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"}),
    ("sha256", UPASS_TABLE, {"algorithm": "SHA-256", "hash": "6ed729e19bf24d3d20f564375820819932029df05547116cfc2cc868a27b4493"}),
    ("sha512", "password", {"algorithm": "sha512", "hash": "b109f3bbbc244eb82441917ed06d618b9008dd09b3befd1b5e07394c706a8bb980b1d7785e5976ec049b46df5f1326af5a2ea6d103fd07c95385ffab0cacbc86"}),
    # --- HMAC: RFC 2202 (MD5, SHA-1) and RFC 4231 (SHA-2) test case 2, key "Jefe".
    ("hmac_md5", "what do ya want for nothing?", {"algorithm": "hmac-md5", "hash": "750c783e6ab0b503eaa86e310a5db738", "key": "Jefe"}),
    ("hmac_sha1", "what do ya want for nothing?", {"algorithm": "hmac-sha1", "hash": "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79", "key": "Jefe"}),
    ("hmac_sha224", "what do ya want for nothing?", {"algorithm": "hmac-sha224", "hash": "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44", "key": "4a656665", "key_encoding": "hex"}),
    ("hmac_sha256", "what do ya want for nothing?", {"algorithm": "hmac-sha256", "hash": "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", "key": "Jefe"}),
    ("hmac_sha384", "what do ya want for nothing?", {"algorithm": "hmac-sha384", "hash": "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649", "key": "Jefe"}),
    ("hmac_sha512", "what do ya want for nothing?", {"algorithm": "hmac-sha512", "hash": "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737", "key": "SmVmZQ==", "key_encoding": "base64"}),
    # "what do ya want " + "for nothing?": the salt as a suffix of the HMAC message
    ("hmac_sha256", "what do ya want ", {"algorithm": "hmac-sha256", "hash": "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", "key": "Jefe", "salt": "for nothing?", "salt_position": "suffix"}),
]


def _id(vector: Vector) -> str:
    fmt, password, spec = vector
    return f"{fmt}:{password[:12]!r}"


@pytest.mark.parametrize("vector", VECTORS, ids=[_id(v) for v in VECTORS])
def test_known_answer_verifies_and_rejects_a_changed_password(vector: Vector) -> None:
    expected_format, password, spec = vector
    stored = parse(spec)
    assert stored.format == expected_format
    assert verify(password, stored).ok is True
    assert verify("x" + password, stored).ok is False
    if len(password.encode()) < 72:  # bcrypt ignores what follows the 72nd byte, as designed
        assert verify(password + "x", stored).ok is False


def test_every_legacy_vector_asks_for_a_rehash() -> None:
    for expected_format, password, spec in VECTORS:
        assert verify(password, parse(spec)).needs_rehash is True, expected_format


def test_bcrypt_uses_only_the_first_72_bytes_like_the_original_systems() -> None:
    stored = parse("$2a$05$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui")
    base = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    assert len(base.encode()) == 72
    assert verify(base, stored).ok is True
    assert verify(base + "anything else", stored).ok is True
    assert verify(base[:71], stored).ok is False


def test_django_bcrypt_sha256_is_not_truncated_at_72_bytes() -> None:
    stored = parse("bcrypt_sha256$$2a$06$Tg/oYyZTyAf.Nb3qSgN61OySmyXA8FoY4PjGizjE1QSDfuL5MXNni")
    assert verify("abc123" * 12, stored).ok is True
    assert verify("abc123" * 12 + "qwr", stored).ok is False


def test_ldap_salted_sha1_equals_the_structured_suffix_salt_form() -> None:
    raw = base64.b64decode("0c0blFTXXNuAMHECS4uxrj3ZieMoWImr")
    spec = {"algorithm": "sha1", "hash": raw[:20].hex(), "salt": raw[20:].hex(), "salt_encoding": "hex", "salt_position": "suffix"}
    assert verify("testing123", parse(spec)).ok is True
    assert verify("testing123", parse({**spec, "salt_position": "prefix"})).ok is False


def test_latin1_password_encoding_hashes_latin1_bytes() -> None:
    # md5 of the Latin-1 bytes of "café" (63 61 66 e9), independently of UTF-8's c3 a9.
    import hashlib

    latin1 = hashlib.md5("café".encode("latin-1")).hexdigest()
    stored = parse({"algorithm": "md5", "hash": latin1, "password_encoding": "latin1"})
    assert verify("café", stored).ok is True
    assert verify("café", parse({"algorithm": "md5", "hash": latin1})).ok is False
    assert verify("中文", stored).ok is False  # not representable in Latin-1: cannot match


# RFC 1320, appendix A.5: MD4 test suite (authshift's MD4 is pure Python: OpenSSL 3 has none).
RFC1320 = [
    (b"", "31d6cfe0d16ae931b73c59d7e0c089c0"),
    (b"a", "bde52cb31de33e46245e05fbdbd6fb24"),
    (b"abc", "a448017aaf21d8525fc10ae87aa6729d"),
    (b"message digest", "d9130a8164549fe818874806e1c7014b"),
    (b"abcdefghijklmnopqrstuvwxyz", "d79e1c308aa5bbcdeea8ed63df412da9"),
    (b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "043f8582f241db351ce627e153e7f0e4"),
    (b"1234567890" * 8, "e33b4ddc9c38f2199c3e7b164fcc0536"),
]


@pytest.mark.parametrize(("message", "digest"), RFC1320)
def test_md4_rfc1320_vectors(message: bytes, digest: str) -> None:
    from authshift.passwords._md4 import MD4, md4

    assert md4(message).hex() == digest
    split = MD4(message[:3])  # fed in pieces, as HMAC feeds it
    split.update(message[3:])
    assert split.copy().hexdigest() == digest


def test_nt_hash_and_md4_objects_known_answers() -> None:
    # The NT hash of "password", as Microsoft's and Samba's documentation give it.
    assert verify("password", parse({"hash": "8846F7EAEE8FB117AD06BDD830B7586C", "format": "nt"})).ok
    assert verify("password", parse("$3$$8846f7eaee8fb117ad06bdd830b7586c")).ok
    assert verify("abc", parse({"algorithm": "md4", "hash": "a448017aaf21d8525fc10ae87aa6729d"})).ok
