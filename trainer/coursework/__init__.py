"""Instructor-assigned work as the learner meets it: assignments and their rules, enrolment
(``katas init --assignment``) and submission archives."""
