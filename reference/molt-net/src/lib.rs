//! m2m-molt
