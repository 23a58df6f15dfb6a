"""ID numbers for tests, made independently of the code under test.

GB 11643-1999's check character, written out: the 17 digits are weighted by
2^(18-i) mod 11 = 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, the sum is taken mod 11, and the
remainder 0..10 maps to 1 0 X 9 8 7 6 5 4 3 2.
"""

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"

# Published real examples: both are the worked examples of GB 11643-1999 itself.
GB11643_EXAMPLES = ("11010519491231002X", "440524188001010014")


def with_check(body17: str) -> str:
    assert len(body17) == 17 and body17.isascii() and body17.isdigit()
    return body17 + CHECK[sum(int(d) * w for d, w in zip(body17, WEIGHTS, strict=True)) % 11]


def wrong_check(number: str) -> str:
    """The same number with another check character."""
    return number[:17] + ("0" if number[17] != "0" else "1")


# The people the tests use most.
ZHANG_WEI = with_check("43010219900307123")  # 430102199003071234
WANG_FANG = with_check("44030419900101555")
NOT_IN_RECORDS = with_check("44030419850505333")
HONG_KONG = with_check("81000019920505456")
# A Foreigner's Permanent Residence ID Card (2023): 9, the province (44), the nationality (840,
# the USA), the birth date, a sequence and the same check character. Worked by hand:
# 63+36+40+40+32+0+2+9+54+0+0+9+0+5+8+24+12 = 334 ≡ 4 (mod 11) → 8.
FOREIGNER = with_check("94484019900101166")
assert FOREIGNER == "944840199001011668"
