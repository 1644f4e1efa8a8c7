from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ...services.plants import GRADES, MAX_BATCH, PLANT_CODE_MAX

GRADE_CHOICES = [("", "No grade yet"), *((g, g) for g in GRADES)]


class AddPlantsForm(FlaskForm):
    species_id = SelectField("Species", validators=[DataRequired()], validate_choice=False)
    quantity = IntegerField("How many", default=1, validators=[DataRequired(),
                                                               NumberRange(1, MAX_BATCH)])
    cultivar = StringField("Cultivar", validators=[Optional(), Length(max=120)])
    plant_code = StringField("Code (only for one plant)", validators=[Optional(),
                                                                       Length(max=PLANT_CODE_MAX)])
    grade = SelectField("Grade", choices=GRADE_CHOICES, default="")
    custom_common_name = StringField("New species name", validators=[Optional(),
                                                                     Length(max=120)])
    custom_scientific_name = StringField("Scientific name", validators=[Optional(),
                                                                        Length(max=160)])
    custom_category = SelectField("Category", validate_choice=False)


class PlantRowForm(FlaskForm):
    plant_code = StringField("Code", validators=[Optional(), Length(max=PLANT_CODE_MAX)])
    grade = SelectField("Grade", choices=GRADE_CHOICES)

