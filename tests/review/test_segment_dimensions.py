"""How one respondent's "about you" answers place them in each way of splitting respondents."""
from engage.services.segments import IN_GROUP, NOT_IN_GROUP, Dimension

GROUPS, RACIALIZED, INDIGENOUS = 7, 70, 71


def test_a_group_option_splits_everyone_in_two_with_no_not_stated_row():
    # Every option's table would share one "not stated" row (the same people), and each table hides different
    # cells of it: the open-data CSV then gave hidden counts away by subtraction across tables.
    racialized = Dimension(f"o{RACIALIZED}", "Racialized", GROUPS, RACIALIZED)
    assert racialized.value_of({GROUPS: [RACIALIZED, INDIGENOUS]}) == IN_GROUP
    assert racialized.value_of({GROUPS: [INDIGENOUS]}) == NOT_IN_GROUP
    assert racialized.value_of({}) == NOT_IN_GROUP  # skipped the question
    assert racialized.value_of({GROUPS: [None]}) == NOT_IN_GROUP  # preferred not to say
    assert racialized.value_of({GROUPS: [RACIALIZED, None]}) == NOT_IN_GROUP  # "prefer not to say" wins


def test_a_single_choice_field_keeps_its_not_stated_row():
    role = Dimension("f1", "Role", 1, option_labels={10: "Student", 11: "Teacher"})
    assert role.value_of({1: [10]}) == "Student"
    assert role.value_of({}) is None and role.value_of({1: [None]}) is None
