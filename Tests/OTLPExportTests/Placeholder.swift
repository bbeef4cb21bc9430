// Tests for OTLPExport.
