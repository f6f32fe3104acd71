"""Declarative workbook templates (YAML) that plansync provisions and checks against."""
